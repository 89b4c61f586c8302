/** "online now", "seen 5 min ago", "seen 3 h ago", "seen 2 days ago", "never seen". */
export function formatLastSeen(online: boolean, lastSeenAt: number | null, now: number): string {
  if (online) return 'online now';
  if (lastSeenAt === null) return 'never seen';
  const s = Math.max(0, Math.floor((now - lastSeenAt) / 1000));
  if (s < 60) return 'seen just now';
  const min = Math.floor(s / 60);
  if (min < 60) return `seen ${min} min ago`;
  const h = Math.floor(min / 60);
  if (h < 48) return `seen ${h} h ago`;
  return `seen ${Math.floor(h / 24)} days ago`;
}
