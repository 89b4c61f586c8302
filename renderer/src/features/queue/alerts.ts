/**
 * The sound and the OS notification for a new request. The sound is
 * synthesised with WebAudio (no asset to ship or allow in the CSP). Neither
 * ever blocks: a browser that refuses audio or notifications just stays quiet.
 */

/** A short rising two-note chime. */
export function playChime(ctx: AudioContext): void {
  const t = ctx.currentTime;
  [660, 880].forEach((freq, i) => {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'sine';
    osc.frequency.value = freq;
    const start = t + i * 0.14;
    // Ramps, not steps: a step in gain clicks.
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.15, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.25);
    osc.connect(gain).connect(ctx.destination);
    osc.start(start);
    osc.stop(start + 0.3);
  });
}

/** One AudioContext per console, made on first use (after a user gesture, browsers let it run). */
let audio: AudioContext | null = null;

export function audioContext(): AudioContext | null {
  if (typeof AudioContext === 'undefined') return null;
  try {
    audio ??= new AudioContext();
    // Suspended when made before any gesture; resume() then fails quietly.
    if (audio.state === 'suspended') void audio.resume().catch(() => undefined);
    return audio;
  } catch {
    return null;
  }
}

export function chime(): void {
  const ctx = audioContext();
  if (ctx) playChime(ctx);
}

/**
 * An OS notification, only where the user has already permitted them. The
 * Electron console denies the renderer this permission on purpose: its main
 * process notifies instead.
 */
export function notify(text: string, tag: string): void {
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  try {
    new Notification('Lifeline', { body: text, tag });
  } catch {
    // Some platforms only allow notifications from a service worker.
  }
}

/** Asks for notification permission; call from a click. Never waits on the answer. */
export function askNotificationPermission(): void {
  if (typeof Notification === 'undefined' || Notification.permission !== 'default') return;
  void Promise.resolve(Notification.requestPermission()).catch(() => undefined);
}
