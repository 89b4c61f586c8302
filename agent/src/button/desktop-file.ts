/**
 * The support button's launcher: a freedesktop.org Desktop Entry
 * (https://specifications.freedesktop.org/desktop-entry-spec/latest/).
 * Exec arguments with reserved characters are double-quoted, with `"`, `` ` ``,
 * `$` and `\` backslash-escaped inside; `%` is doubled (field codes); then the
 * whole value gets the string escapes every key has (`\` as `\\`).
 */

/** Characters that make an Exec argument need quotes (the spec's reserved list, plus `=` for safety). */
const RESERVED = /[\s"'\\><~|&;$*?#()`=]/;

export function quoteExecArg(arg: string): string {
  if (/[\n\r\0]/.test(arg)) throw new Error('A launcher argument cannot contain a line break.');
  const quoted = arg === '' || RESERVED.test(arg) ? `"${arg.replace(/["`$\\]/g, '\\$&')}"` : arg;
  return quoted.replace(/%/g, '%%');
}

/** A string value as the file stores it: backslashes escaped, no line breaks. */
export function escapeValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
}

export interface LauncherOptions {
  name: string;
  comment: string;
  command: string[];
  icon?: string;
}

export function desktopEntry(o: LauncherOptions): string {
  const lines = [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.0',
    `Name=${escapeValue(o.name)}`,
    `Comment=${escapeValue(o.comment)}`,
    `Exec=${escapeValue(o.command.map(quoteExecArg).join(' '))}`,
    `Icon=${escapeValue(o.icon ?? 'help-browser')}`,
    // A terminal shows the user what happens: queued, waiting, or why the button is refused.
    'Terminal=true',
    'Categories=Utility;',
    'StartupNotify=false',
  ];
  return `${lines.join('\n')}\n`;
}

/** The Exec key's value unescaped into argv, as a launcher would run it (no field codes are used). */
export function parseExec(entry: string): string[] {
  const line = entry.split('\n').find((l) => l.startsWith('Exec='));
  if (!line) throw new Error('The launcher has no Exec line.');
  // Undo the string escapes first, then the Exec quoting.
  const value = line.slice(5).replace(/\\([\\nrts])/g, (_, c: string) => ({ '\\': '\\', n: '\n', r: '\r', t: '\t', s: ' ' })[c]!);
  const args: string[] = [];
  let cur = '';
  let inArg = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '"') {
      inArg = true;
      for (i++; i < value.length && value[i] !== '"'; i++) {
        if (value[i] === '\\' && i + 1 < value.length) i++;
        cur += value[i];
      }
      continue;
    }
    if (c === ' ') {
      if (inArg) args.push(cur.replace(/%%/g, '%'));
      cur = '';
      inArg = false;
      continue;
    }
    cur += c;
    inArg = true;
  }
  if (inArg) args.push(cur.replace(/%%/g, '%'));
  return args;
}
