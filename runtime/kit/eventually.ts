// Waits on a condition in a cluster test: polls until the check returns a value (not
// undefined, null or false) and returns it; on timeout the error names what was awaited and
// the last error the check threw, if any.

/** How long eventually() keeps trying, and how often. */
export interface EventuallyOptions {
  /** Milliseconds before it gives up; default 60 000. */
  timeoutMs?: number;
  /** Milliseconds between one check's end and the next check; default 250. */
  intervalMs?: number;
}

/**
 * Calls `check` until it returns a value other than undefined, null or false, and returns that
 * value. A check that throws counts as not yet.
 *
 * @param what what is awaited, for the timeout's message ("the Deployment to be ready").
 * @param check reads the cluster; may be async.
 * @param options the timeout and the pause between checks.
 * @throws Error "timed out waiting for <what>", with the last error the check threw, once the timeout has passed.
 */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: EventuallyOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : "";
      throw new Error(`timed out waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
}
