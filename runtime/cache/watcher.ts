// The list/watch loop for one kind in one scope (a namespace, or all). It lists, then
// watches from the list's resourceVersion with bookmarks and a server-side timeout, and hands
// every list and event to its sink. It never stops by itself: 410 Gone lists again, any other
// failure restarts the watch with backoff, and a watch that goes quiet for longer than the
// bookmark cadence allows is restarted from where it was. A quiet watch is normal for a kind
// nobody changes, so that restart is logged at debug level only. Every log line names the
// kind by apiVersion and kind. (kube-rs calls this piece the watcher.)
import { isGone, type KubeClient } from "../kube/client.ts";
import type { Kind } from "../kube/kinds.ts";
import type { KubeObject, WatchEvent } from "../kube/objects.ts";
import type { Logger } from "../log.ts";

/** Server-side watch timeout: between 5 and 10 minutes, randomised as client-go does. */
export const minWatchTimeoutSeconds = 300;
/** The API server sends a bookmark about once a minute; a watch silent for longer is presumed dead. */
export const watchInactivityTimeoutMs = 75_000;
export const initialRetryDelayMs = 200;
export const maxRetryDelayMs = 30_000;

/**
 * Why an informer listed or restarted its watch: "list", a list (the first, or after a
 * failure); "relist-gone", the watch's resourceVersion was too old (410), so it listed again;
 * "watch-ended", the server closed the watch (its timeout); "watch-error", the watch failed
 * and is retried after a backoff; "inactive", the watch was silent past the inactivity timeout.
 */
export type RestartReason = "list" | "relist-gone" | "watch-ended" | "watch-error" | "inactive";

export interface WatchSink {
  /** A fresh list of the scope. */
  listed(namespace: string | undefined, items: KubeObject[]): void;
  /** One watch event other than a bookmark, with when it arrived. */
  received(event: WatchEvent, observedAt: number): void;
  restarted?(reason: RestartReason): void;
}

export interface WatchOptions {
  kind: Kind;
  client: KubeClient;
  log: Logger;
  namespace: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  /** Overrides watchInactivityTimeoutMs (tests). */
  inactivityTimeoutMs?: number | undefined;
  signal: AbortSignal;
}

/** Runs until the signal aborts. */
export async function listAndWatch(options: WatchOptions, sink: WatchSink): Promise<void> {
  const { client, kind, namespace, signal } = options;
  const log = options.log.with({ apiVersion: kind.apiVersion, kind: kind.kind, ...(namespace ? { namespace } : {}) });
  const selectors = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector };
  const inactivityMs = options.inactivityTimeoutMs ?? watchInactivityTimeoutMs;
  let resourceVersion: string | undefined;
  let retryDelayMs = initialRetryDelayMs;
  while (!signal.aborted) {
    try {
      if (!resourceVersion) {
        const listed = await client.list(kind, { namespace, ...selectors, signal });
        sink.listed(namespace, listed.items);
        resourceVersion = listed.resourceVersion;
        sink.restarted?.("list");
      }
      const watchAbort = new AbortController();
      const stopWatch = () => watchAbort.abort();
      signal.addEventListener("abort", stopWatch, { once: true });
      let inactive = false;
      let timer = setTimeout(() => ((inactive = true), watchAbort.abort()), inactivityMs);
      try {
        const events = client.watch(kind, {
          namespace,
          resourceVersion,
          timeoutSeconds: Math.floor(minWatchTimeoutSeconds * (1 + Math.random())),
          allowWatchBookmarks: true,
          ...selectors,
          signal: watchAbort.signal,
        });
        for await (const event of events) {
          clearTimeout(timer);
          timer = setTimeout(() => ((inactive = true), watchAbort.abort()), inactivityMs);
          const observedAt = performance.now();
          const version = event.object.metadata?.resourceVersion;
          if (version) resourceVersion = version;
          retryDelayMs = initialRetryDelayMs;
          if (event.type !== "BOOKMARK") sink.received(event, observedAt);
        }
        sink.restarted?.("watch-ended");
      } catch (error) {
        if (signal.aborted) break;
        if (inactive) {
          log.debug("watch went quiet; resuming it", { afterMs: inactivityMs, resourceVersion });
          sink.restarted?.("inactive");
          continue;
        }
        throw error;
      } finally {
        clearTimeout(timer);
        signal.removeEventListener("abort", stopWatch);
      }
    } catch (error) {
      if (signal.aborted) break;
      if (isGone(error)) {
        log.info("watch resourceVersion expired (410 Gone); listing again");
        sink.restarted?.("relist-gone");
        resourceVersion = undefined;
        continue;
      }
      log.warn("list/watch failed; retrying", {
        error: (error as Error).message,
        retryInMs: retryDelayMs,
      });
      sink.restarted?.("watch-error");
      await sleep(retryDelayMs, signal);
      retryDelayMs = Math.min(retryDelayMs * 2, maxRetryDelayMs);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
