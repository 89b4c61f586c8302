const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/** "14:05" in the technician's locale; empty for a time no Date can hold (it came off the wire). */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? '' : clock.format(d);
}

/** For `<time dateTime>`; undefined rather than a throw for an impossible time. */
export function isoTime(ms: number): string | undefined {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}
