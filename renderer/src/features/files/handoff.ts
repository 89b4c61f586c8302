/**
 * Hands a finished download to the technician as an ordinary browser
 * download. The file is disk-backed (OPFS), so the object URL costs no
 * memory; it is revoked once the browser has surely started on it.
 */

const REVOKE_AFTER_MS = 60_000;

export function saveToDownloads(file: Blob, name: string): void {
  const url = URL.createObjectURL(file);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
}
