// Waits on a condition in a cluster test: polls until the check returns a value (not
// undefined, null or false) and returns it; on timeout the error names what was awaited and
// the last error the check threw, if any.

export interface EventuallyOptions {
  /** Default 60 000. */
  timeoutMs?: number;
  /** Default 250. */
  intervalMs?: number;
}

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
