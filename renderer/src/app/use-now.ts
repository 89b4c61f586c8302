import { useEffect, useState } from 'react';

/** The current time, refreshed every `periodMs`, for "waiting 3 min"-style labels. */
export function useNow(periodMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(t);
  }, [periodMs]);
  return now;
}
