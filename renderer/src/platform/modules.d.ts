// The npm `process` package ships no types.
declare module 'process/browser.js' {
  const process: {
    env: Record<string, string | undefined>;
    browser: boolean;
    nextTick(fn: (...args: unknown[]) => void, ...args: unknown[]): void;
  };
  export default process;
}
