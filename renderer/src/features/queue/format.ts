/** "just now", "45 s", "3 min", "1 h 05 min": how long someone has waited. */
export function formatWaiting(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  return `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, '0')} min`;
}

/** "expires in 14 min", "expires in 40 s", "expired". */
export function formatExpiry(expiresAt: number, now: number): string {
  const s = Math.ceil((expiresAt - now) / 1000);
  if (s <= 0) return 'expired';
  if (s < 60) return `expires in ${s} s`;
  return `expires in ${Math.ceil(s / 60)} min`;
}
