// The runtime's door for running a program: declare it (program), run it (runProgram or
// runManager), and what RPC services and components get from the manager (the client, the
// cache, the controller set). Loading this loads the engine, the REST client and the server.
export { type Program, program, runManager, type RunOptions, runProgram } from "./program/main.ts";
export { type Component, type ComponentContext, Manager, type ManagerOptions } from "./program/manager.ts";
export {
  clusterNamed,
  ConfigError,
  defaultPort,
  type OptionSpec,
  type RuntimeConfig,
  type Values,
} from "./program/config.ts";
export type { OptionType } from "./program/config.ts";
export { type ApiAuthMode, apiAuthModes } from "./defaults.ts";
export type { ServiceContext } from "./program/service.ts";
export type { ControllerSet } from "./program/controllers.ts";
export {
  type ApplyOptions,
  type DeleteOptions,
  isConflict,
  isGone,
  isNamespaceTerminating,
  isNotFound,
  KubeClient,
  KubeError,
  type ListOptions,
  type RequestObserver,
  type RequestOptions,
  type WatchOptions,
} from "./kube/client.ts";
export type { ObjectList, WatchEvent } from "./kube/objects.ts";
export type { TransportOptions } from "./kube/transport.ts";
export { loadKubeConfig } from "./kube/kubeconfig.ts";
export { Discovery } from "./kube/discovery.ts";
export type { CacheSelector, Informers, InformerScope } from "./cache/informers.ts";
export { managedBy, managedChildren } from "./program/cache-selectors.ts";
export type { Change, ChangeHandler, ChangeType, Informer, InformerOptions } from "./cache/informer.ts";
export type { RestartReason } from "./cache/watcher.ts";
export { follow, type FollowOptions } from "./cache/follow.ts";
export { type RpcResourceRule, type RpcRule, type ServiceAccess, serviceAccess } from "./auth/rules.ts";
export { type Lane, type QueueObserver, WorkQueue, type WorkQueueOptions } from "./queue.ts";
export { createLogger, type Logger, type LogLevel, logLevels, silentLogger } from "./log.ts";
export type { Metrics } from "./metrics.ts";
export type { LeaderElectionOptions, LeaderElector } from "./leader.ts";
export type { HealthStatus } from "./server/health.ts";
