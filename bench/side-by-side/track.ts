// Follows what exists in one namespace, kind by kind, through list and watch (one watch per
// kind, as a client would; polling lists of thousands of objects would load the API server
// the bench measures). Keeps, per object, only whether it exists and, for StatefulSets,
// whether all its replicas are ready, and the time each object was first seen.
import { isGone, type KubeClient } from "../../runtime/run.ts";
import type { Kind, KubeObject } from "../../runtime/mod.ts";

const watchTimeoutSeconds = 300;
const retryMs = 200;

export interface Seen {
  /** performance.now() when the object was first seen. */
  at: number;
  ready: boolean;
}

/** True for an object that counts as done: a StatefulSet with every replica ready; anything else by existing. */
export function readyOf(object: KubeObject): boolean {
  if (object.kind !== "StatefulSet") return true;
  const spec = object.spec as { replicas?: number } | undefined;
  const status = object.status as { readyReplicas?: number } | undefined;
  return (status?.readyReplicas ?? 0) >= (spec?.replicas ?? 1);
}

export class Tracker {
  readonly #client: KubeClient;
  readonly #namespace: string;
  readonly #kinds: Record<string, Kind>;
  readonly #objects = new Map<string, Map<string, Seen>>();
  readonly #listeners = new Set<() => void>();
  readonly #abort = new AbortController();
  #loops: Promise<void>[] = [];

  constructor(client: KubeClient, namespace: string, kinds: Record<string, Kind>) {
    this.#client = client;
    this.#namespace = namespace;
    this.#kinds = kinds;
    for (const key of Object.keys(kinds)) this.#objects.set(key, new Map());
  }

  /** Lists every kind, then follows each by a watch; resolves once every list is in. */
  async start(): Promise<void> {
    const listed = Object.entries(this.#kinds).map(async ([key, kind]) => {
      const resourceVersion = await this.#list(key, kind);
      this.#loops.push(this.#follow(key, kind, resourceVersion));
    });
    await Promise.all(listed);
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.allSettled(this.#loops);
  }

  objects(key: string): Map<string, Seen> {
    const found = this.#objects.get(key);
    if (!found) throw new Error(`the tracker follows no kind ${key}`);
    return found;
  }

  count(key: string, which: (name: string, seen: Seen) => boolean = () => true): number {
    let n = 0;
    for (const [name, seen] of this.objects(key)) if (which(name, seen)) n++;
    return n;
  }

  /** Resolves with performance.now() of the change that made the condition true, or undefined at the deadline. */
  until(
    condition: () => boolean,
    deadlineMs: number,
    onTick?: () => void,
    tickMs = 10_000,
  ): Promise<number | undefined> {
    if (condition()) return Promise.resolve(performance.now());
    return new Promise((resolve) => {
      const check = () => {
        if (condition()) finish(performance.now());
      };
      const ticker = onTick ? setInterval(onTick, tickMs) : undefined;
      const timer = setTimeout(() => finish(undefined), Math.max(0, deadlineMs - performance.now()));
      const finish = (at: number | undefined) => {
        this.#listeners.delete(check);
        clearTimeout(timer);
        if (ticker) clearInterval(ticker);
        resolve(at);
      };
      this.#listeners.add(check);
    });
  }

  async #list(key: string, kind: Kind): Promise<string> {
    const list = await this.#client.list(kind, { namespace: this.#namespace });
    const now = performance.now();
    const map = this.objects(key);
    const previous = new Map(map);
    map.clear();
    for (const item of list.items) {
      map.set(item.metadata.name, { at: previous.get(item.metadata.name)?.at ?? now, ready: readyOf(item) });
    }
    this.#changed();
    return list.resourceVersion;
  }

  async #follow(key: string, kind: Kind, resourceVersion: string): Promise<void> {
    const map = this.objects(key);
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        for await (
          const event of this.#client.watch(kind, {
            namespace: this.#namespace,
            resourceVersion,
            timeoutSeconds: watchTimeoutSeconds,
            signal,
          })
        ) {
          const object = event.object;
          if (object.metadata?.resourceVersion) resourceVersion = object.metadata.resourceVersion;
          if (event.type === "BOOKMARK") continue;
          const name = object.metadata.name;
          if (event.type === "DELETED") map.delete(name);
          else map.set(name, { at: map.get(name)?.at ?? performance.now(), ready: readyOf(object) });
          this.#changed();
        }
      } catch (error) {
        if (signal.aborted) return;
        if (isGone(error)) {
          resourceVersion = await this.#list(key, kind).catch(() => resourceVersion);
        } else {
          await new Promise((resolve) => setTimeout(resolve, retryMs));
        }
      }
    }
  }

  #changed(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}
