/** Watches this process's event loop: `stop()` returns the longest stretch (ms) in which no timer could run. */
export function watchEventLoop(everyMs = 5): { stop(): number } {
  let last = performance.now();
  let longest = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, everyMs);
  return {
    stop() {
      clearInterval(ticker);
      return longest;
    },
  };
}
