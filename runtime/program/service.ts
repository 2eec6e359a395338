// What RPC handlers get from the manager: the cache to read, the client to write, and a
// place to hang their own background work (timers, renewals) so it stops with the manager.
import type { Informers } from "../cache/informers.ts";
import type { KubeClient } from "../kube/client.ts";
import type { Logger } from "../log.ts";

/** What RPC handlers get from the manager (ManagerOptions.services): the cache, the client, a logger, and hooks. */
export interface ServiceContext {
  /** The manager's API client, for writes and for reads the cache does not hold. */
  client: KubeClient;
  /** The shared cache; kinds in ManagerOptions.watch have running informers from the start. */
  informers: Informers;
  /** The manager's logger. */
  log: Logger;
  /** This replica's identity (the leader election identity). */
  identity: string;
  /** True when this replica may write (it leads, or election is off). */
  canWrite(): boolean;
  /** Runs `stop` when the manager stops, after its controllers and before its watches close. */
  onStop(stop: () => void | Promise<void>): void;
}
