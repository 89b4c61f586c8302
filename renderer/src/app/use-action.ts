import { useCallback, useEffect, useRef, useState } from 'react';
import { errorSentence } from '../bridge/index.js';

/**
 * Runs a user-triggered async action, tracking whether it is in flight and
 * the sentence to show when it fails.
 */
export function useAction<A extends unknown[]>(action: (...args: A) => Promise<unknown>) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const run = useCallback(
    async (...args: A): Promise<boolean> => {
      setPending(true);
      setError(null);
      try {
        await action(...args);
        return true;
      } catch (e) {
        if (mounted.current) setError(errorSentence(e));
        return false;
      } finally {
        if (mounted.current) setPending(false);
      }
    },
    [action],
  );
  return { run, pending, error, clearError: () => setError(null) };
}
