// What one sync of a parent works with: the client, the cache, the write gate, metrics,
// Events and the names it writes under. The runner builds it once per controller.
import type { Informers } from "../cache/informers.ts";
import type { EventRecorder } from "../events.ts";
import type { KubeClient } from "../kube/client.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { ActionPort } from "../exec/actions.ts";
import type { Writer } from "./failures.ts";
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
