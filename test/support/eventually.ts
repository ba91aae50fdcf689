/**
 * The suite's one polling helper: tests wait on events where there is one, and on this where
 * the only way to see a change is to look again. Never a fixed sleep.
 * @module
 */

/**
 * Polls `fn` every `intervalMs` until it returns a truthy value; rejects after `timeoutMs`, or at
 * once when `failIf` returns a reason (e.g. the process being waited for has exited).
 */
export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 10000, what = "condition", intervalMs = 50, failIf?: () => string | null): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const why = failIf?.();
    if (why) throw new Error(why);
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
