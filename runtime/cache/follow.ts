// Streams what the cache says about something to a client until it leaves: a snapshot now,
// then a fresh snapshot after each change that concerns it, never the same one twice in a
// row. Changes that arrive while the client is busy are folded into the next snapshot, as a
// level-triggered watch would.
import type { Change, Informer } from "./informer.ts";

/** What follow() streams, when it may have changed, and when it ends. */
export interface FollowOptions<T> {
  /** What the client sees, read from the cache. */
  snapshot(): T;
  /** Whether a change may alter the snapshot (default: every change). */
  concerns?(change: Change): boolean;
  /** Return true for a snapshot not to send (an empty one, say); the stream waits for the next change. */
  skip?(value: T): boolean;
  /** Ends the stream (the client hung up). */
  signal: AbortSignal;
}

/**
 * Streams what the cache says about something until the signal aborts: a snapshot at once,
 * then a new one after each change that concerns it, never the same one (by JSON) twice in a
 * row. Changes that come while the consumer is busy fold into the next snapshot. For
 * server-streaming RPCs that watch the cache.
 *
 * @param informer the cache whose changes wake it.
 * @param options the snapshot, which changes concern it, which snapshots to skip, and the signal.
 */
export async function* follow<T>(informer: Informer, options: FollowOptions<T>): AsyncGenerator<T> {
  const { signal } = options;
  let wake: (() => void) | undefined;
  let changed = true;
  const unsubscribe = informer.onChange((change) => {
    if (options.concerns && !options.concerns(change)) return;
    changed = true;
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener("abort", onAbort);
  try {
    let last: string | undefined;
    while (!signal.aborted) {
      if (changed) {
        changed = false;
        const value = options.snapshot();
        const text = JSON.stringify(value);
        if (text !== last && !options.skip?.(value)) {
          last = text;
          yield value;
          continue;
        }
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (changed || signal.aborted) resolve();
      });
      wake = undefined;
    }
  } finally {
    unsubscribe();
    signal.removeEventListener("abort", onAbort);
  }
}
