// What one sync of a parent works with: the client, the cache, the write gate, metrics,
// Events and the names it writes under. The runner builds it once per controller. Every write
// of a sync, to a child or to the parent, asks the gate first (mayWrite) and, once written,
// counts the time from the watch event that caused it (wrote).
import type { Informers } from "../cache/informers.ts";
import type { EventRecorder } from "../events.ts";
import type { KubeClient } from "../kube/client.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { ActionPort } from "../exec/actions.ts";
import { NotLeaderError, type Writer } from "./failures.ts";
import type { Triggers } from "./triggers.ts";

export interface WriteGate {
  /** False when this replica must not write (not the leader, or the lease could not be renewed in time). */
  canWrite(): boolean;
}

export interface SyncContext {
  client: KubeClient;
  informers: Informers;
  metrics: Metrics;
  events: EventRecorder;
  gate: WriteGate;
  triggers: Triggers;
  /** Field manager of children. */
  fieldManager: string;
  /** Field manager of status and finalizers: "<fieldManager>.<controller>". */
  statusManager: string;
  finalizer: string;
  writer: Writer;
  actions: ActionPort;
  log: Logger;
  now(): Date;
}

/** Refuses a write (NotLeaderError) when this replica may not write now. */
export function mayWrite(context: SyncContext): void {
  if (!context.gate.canWrite()) throw new NotLeaderError();
}

/** After a write: observes the time from the watch event that triggered the sync, if one did. */
export function wrote(context: SyncContext, controller: string, trigger: number | undefined): void {
  if (trigger !== undefined) context.metrics.eventToApply.observe({ controller }, (performance.now() - trigger) / 1000);
}
