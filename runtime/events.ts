// Kubernetes Events (events.k8s.io/v1) about parents, rate limited per object the way
// client-go's spam filter is: a burst, then one event per refill interval; sent one at a time
// in the background, as client-go's broadcaster sends them, so that a burst of Events does not
// compete with the writes of children for the API server.
import { randomBytes } from "node:crypto";
import { microTime } from "./kube/time.ts";
import { isNamespaceTerminating, type KubeClient } from "./kube/client.ts";
import { builtinKinds } from "./kube/kinds.ts";
import type { KubeObject } from "./kube/objects.ts";
import type { Logger } from "./log.ts";

/** Events one object may get at once. */
export const eventBurst = 25;
/** One more event per object is allowed each interval after the burst. */
export const eventRefillMs = 300_000;

/** Events waiting to be sent at most; beyond, new ones are dropped (client-go's broadcaster keeps 1000). */
export const maxQueuedEvents = 1000;

export type EventType = "Normal" | "Warning";

export interface EventRecorder {
  record(regarding: KubeObject, type: EventType, reason: string, action: string, note: string): void;
}

export class ApiEventRecorder implements EventRecorder {
  readonly #client: KubeClient;
  readonly #controller: string;
  readonly #instance: string;
  readonly #log: Logger;
  readonly #canWrite: () => boolean;
  readonly #buckets = new Map<string, { tokens: number; updated: number }>();
  /** Events recorded and not sent yet, oldest first. */
  #queued: Array<{ event: KubeObject; reason: string; object: string }> = [];
  #sending = false;
  #dropped = 0;

  constructor(
    options: { client: KubeClient; controller: string; instance: string; log: Logger; canWrite: () => boolean },
  ) {
    this.#client = options.client;
    this.#controller = options.controller;
    this.#instance = options.instance;
    this.#log = options.log;
    this.#canWrite = options.canWrite;
  }

  record(regarding: KubeObject, type: EventType, reason: string, action: string, note: string): void {
    if (!this.#canWrite()) return;
    if (this.#queued.length >= maxQueuedEvents) {
      // Said once per run of drops; how many were dropped is said when an Event fits again.
      if (this.#dropped++ === 0) this.#log.warn("too many Events waiting to be sent; dropping new ones", { reason });
      return;
    }
    if (!this.#allow(regarding.metadata.uid ?? regarding.metadata.name)) return;
    const now = new Date();
    const event = {
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: {
        name: `${regarding.metadata.name}.${now.getTime().toString(16)}${randomBytes(2).toString("hex")}`,
        namespace: regarding.metadata.namespace ?? "default",
      },
      eventTime: microTime(now),
      reportingController: this.#controller,
      reportingInstance: this.#instance,
      action,
      reason,
      note: note.length > 1024 ? `${note.slice(0, 1021)}...` : note,
      type,
      regarding: {
        apiVersion: regarding.apiVersion,
        kind: regarding.kind,
        name: regarding.metadata.name,
        namespace: regarding.metadata.namespace,
        uid: regarding.metadata.uid,
        resourceVersion: regarding.metadata.resourceVersion,
      },
    };
    if (this.#dropped > 0) {
      this.#log.warn("Events were dropped while too many waited to be sent", { dropped: this.#dropped });
      this.#dropped = 0;
    }
    this.#queued.push({ event: event as unknown as KubeObject, reason, object: regarding.metadata.name });
    void this.#send();
  }

  /** Events recorded and not sent yet. */
  get queued(): number {
    return this.#queued.length;
  }

  /** Sends the queued Events one after another; an Event whose replica no longer leads is dropped. */
  async #send(): Promise<void> {
    if (this.#sending) return;
    this.#sending = true;
    try {
      for (let next = this.#queued.shift(); next; next = this.#queued.shift()) {
        if (!this.#canWrite()) continue;
        const { event, reason, object } = next;
        await this.#client.create(builtinKinds.Event, event).catch((error: Error) => {
          const fields = { reason, object, error: error.message };
          // An object in a namespace being deleted can have no Events: not worth a warning.
          if (isNamespaceTerminating(error)) this.#log.debug("could not record an event", fields);
          else this.#log.warn("could not record an event", fields);
        });
      }
    } finally {
      this.#sending = false;
    }
  }

  #allow(id: string): boolean {
    const now = Date.now();
    const bucket = this.#buckets.get(id) ?? { tokens: eventBurst, updated: now };
    bucket.tokens = Math.min(eventBurst, bucket.tokens + (now - bucket.updated) / eventRefillMs);
    bucket.updated = now;
    this.#buckets.set(id, bucket);
    if (this.#buckets.size > 10_000) this.#buckets.delete(this.#buckets.keys().next().value!);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
