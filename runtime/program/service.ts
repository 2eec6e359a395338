// What RPC handlers get from the manager: the cache to read, the client to write, and a
// place to hang their own background work (timers, renewals) so it stops with the manager.
import type { Informers } from "../cache/informers.ts";
import type { KubeClient } from "../kube/client.ts";
import type { Logger } from "../log.ts";

export interface ServiceContext {
  client: KubeClient;
  informers: Informers;
  log: Logger;
  /** This replica's identity (the leader election identity). */
  identity: string;
  /** True when this replica may write (it leads, or election is off). */
  canWrite(): boolean;
  /** Runs `stop` when the manager stops, after its controllers and before its watches close. */
  onStop(stop: () => void | Promise<void>): void;
}
