/**
 * Session codes are read out over the phone: ten digits (10^10 possibilities),
 * shown in groups of 3-3-4 like a phone number. Users may type them with
 * spaces, dashes or dots; normalisation strips those.
 */
export const SESSION_CODE_DIGITS = 10;

/** A new random code, digits only. Uses rejection sampling so every digit is uniform. */
export function generateSessionCode(random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  let out = '';
  while (out.length < SESSION_CODE_DIGITS) {
    const bytes = random(new Uint8Array(16));
    for (const b of bytes) {
      if (b < 250 && out.length < SESSION_CODE_DIGITS) out += String(b % 10);
    }
  }
  return out;
}

/** "4829130567" -> "482 913 0567". */
export function formatSessionCode(code: string): string {
  return `${code.slice(0, 3)} ${code.slice(3, 6)} ${code.slice(6)}`;
}

/** What a user typed -> the canonical digits, or null when it cannot be a code. */
export function normalizeSessionCode(input: string): string | null {
  const digits = input.replace(/[\s.\-_/]/g, '');
  return /^\d{10}$/.test(digits) ? digits : null;
}

/**
 * What the portal tells the user to run: the support client installed on his
 * computer (never `npx lifeline-agent`, which would fetch whatever the public
 * npm registry holds under that name).
 */
export function agentCommand(serverUrl: string, code: string): string {
  return `lifeline-agent --server ${serverUrl} --code ${code}`;
}
