/**
 * The desk's parts of the top bar and the page: the technician's own status,
 * the alerts bell, and the banner that says what just arrived.
 */
import { useEffect, useRef } from 'react';
import { ChosenStatus } from '../../../../shared/desk.js';
import { useActions, useApi, useAppState } from '../../app/context.js';
import { useAction } from '../../app/use-action.js';
import { askNotificationPermission, audioContext, chime, notify } from './alerts.js';
import { CHOICE_LABELS, presenceLabel } from './sections.js';

export function PresenceControl() {
  const api = useApi();
  const me = useAppState((s) => s.technician?.id ?? null);
  const mine = useAppState((s) => s.presence.find((p) => p.id === me) ?? null);
  const set = useAction((status: ChosenStatus) => api.invoke('presence:set', { status }));

  return (
    <span className="presence-control">
      <span className={`presence-dot ${mine?.status ?? 'offline'}`} aria-hidden="true" />
      <label className="visually-hidden" htmlFor="presence-select">Your status</label>
      <select
        id="presence-select"
        data-testid="presence-select"
        value={mine?.chosen ?? 'available'}
        disabled={set.pending}
        onChange={(e) => {
          const parsed = ChosenStatus.safeParse(e.target.value);
          if (parsed.success) void set.run(parsed.data);
        }}
      >
        {ChosenStatus.options.map((s) => (
          <option key={s} value={s}>{CHOICE_LABELS[s]}</option>
        ))}
      </select>
      <span className="presence-status" data-testid="presence-status" title="What your colleagues and routing see">
        {mine ? presenceLabel(mine) : '…'}
      </span>
      {set.error && <span className="form-error small">{set.error}</span>}
    </span>
  );
}

/**
 * The bell: rings (sound, and an OS notification where permitted) for each
 * new arrival. Clicking it is the user gesture browsers want before they
 * allow audio and before asking for notification permission.
 */
export function AlertsBell() {
  const on = useAppState((s) => s.alertsOn);
  const alert = useAppState((s) => s.alert);
  const { alertsToggled } = useActions();
  const rung = useRef<number | null>(alert?.at ?? null);

  useEffect(() => {
    if (!alert || rung.current === alert.at) return;
    rung.current = alert.at;
    if (!on) return;
    chime();
    notify(alert.text, alert.requestIds[0] ?? 'lifeline');
  }, [alert, on]);

  return (
    <button
      className={on ? 'button small bell on' : 'button small bell'}
      data-testid="alerts-toggle"
      aria-pressed={on}
      title={on ? 'Sound and notifications for new requests are on' : 'New requests arrive silently'}
      onClick={() => {
        if (!on) {
          audioContext();
          askNotificationPermission();
        }
        alertsToggled(!on);
      }}
    >
      {on ? 'Alerts on' : 'Alerts off'}
    </button>
  );
}

/**
 * What just arrived, until it is dismissed, taken or replaced. A toast over
 * the page, not a banner in it: appearing or vanishing (when someone else
 * takes the request) must never move the rows under the technician's pointer.
 */
export function ArrivalBanner() {
  const alert = useAppState((s) => s.alert);
  const queue = useAppState((s) => s.queue);
  const { alertDismissed } = useActions();
  const stillWaiting = alert?.requestIds.some((id) => queue.some((i) => i.requestId === id && i.status === 'waiting'));
  if (!alert || !stillWaiting) return null;
  return (
    <p className="arrival-toast" role="status" data-testid="desk-alert">
      <span>{alert.text}</span>
      <button className="link-button" onClick={alertDismissed}>
        Dismiss
      </button>
    </p>
  );
}
