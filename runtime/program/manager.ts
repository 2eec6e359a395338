// The manager wires the parts: one client, the shared informers, a runner per
// controller, leader election, the server, and an orderly shutdown.
import { existsSync, readFileSync } from "node:fs";
import type { ConnectRouter } from "@connectrpc/connect";
import { type CacheSelector, Informers } from "../cache/informers.ts";
import { namespaceList, type RuntimeConfig } from "./config.ts";
import type { ControllerDefinition } from "../controller.ts";
import { ApiEventRecorder } from "../events.ts";
import { KubeClient } from "../kube/client.ts";
import { defaultIdentity, LeaderElector } from "../leader.ts";
import type { Kind } from "../kube/kinds.ts";
import { createLogger, type Logger } from "../log.ts";
import { kindLabels, Metrics } from "../metrics.ts";
import { ControllerSet } from "./controllers.ts";
import { defaultDrainTimeoutMs } from "../defaults.ts";
import { KubernetesAuth } from "../auth/kubernetes.ts";
import type { ServiceAccess } from "../auth/rules.ts";
import { healthApp } from "../server/app.ts";
import { healthAccess, HealthStatus } from "../server/health.ts";
import { reflectionAccess } from "../server/reflection.ts";
import type { ServiceContext } from "./service.ts";
import type { RunningServer } from "../server/options.ts";
import { serve } from "../server/server.ts";
import { startIdleCompaction } from "../memory.ts";

/** How long closing the server and the watches may take once controllers have stopped. */
export const closeTimeoutMs = 3_000;
const inClusterNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/** What a Manager runs, and with what settings: controllers, RPC services, components, watches. */
export interface ManagerOptions {
  /** Field manager, default Lease name and Events' reportingController. */
  name: string;
  /** Finalizers are "<finalizerDomain>/<controller name>"; default: the parent kind's API group. */
  finalizerDomain?: string;
  /** The controllers it runs from the start; components may add more (ControllerSet). */
  controllers: ControllerDefinition<any>[];
  /** The runtime's settings (flags): cluster, leader election, port, workers, logging, API limits. */
  config: RuntimeConfig;
  /** Registers the program's RPC services on the Connect router, with what handlers need (client, cache, log). */
  services?: (router: ConnectRouter, context: ServiceContext) => void;
  /** What each RPC of `services` does in Kubernetes terms, checked for callers with --api-auth=kubernetes. */
  rpcAccess?: readonly ServiceAccess[];
  /** Message types that may appear in google.protobuf.Any fields of JSON requests (Connect JSON). */
  registry?: import("@bufbuild/protobuf").Registry;
  /**
   * Narrow what the cache holds of some kinds, for every reader: only objects with the labels
   * given (see managedChildren, which keeps only what the controllers made). Default: all.
   */
  cacheSelectors?: readonly CacheSelector[];
  /** Informers to start even if no controller needs them (for RPC handlers that read the cache). */
  watch?: Kind[];
  /** Parts that start once the caches have synced and stop with the manager. */
  components?: Component[];
  /** Where the manager and its parts log; default: JSON on stderr at config.logLevel, tagged with the name. */
  log?: Logger;
}

/**
 * A part of a program that is neither a controller nor an RPC service but lives as long as the
 * manager: Metacontroller's meta-controller, which adds and removes controllers as its
 * resources change, is one. It runs on every replica; it writes only while context.canWrite().
 */
export interface Component {
  /** Names it in logs. */
  readonly name: string;
  /** Kinds whose caches it reads; they have synced when start() is called. */
  readonly watch?: readonly Kind[];
  /** Begins its work, once the caches of its kinds have synced; the manager waits for it before the next one. */
  start(context: ComponentContext): void | Promise<void>;
  /** Called first at shutdown, before the controllers stop: ends whatever start() began. */
  stop(): void | Promise<void>;
}

/** What a component gets at start: what RPC services get, and the manager's controllers. */
export interface ComponentContext extends ServiceContext {
  /** The manager's controllers, which a component may add to and remove from while it runs. */
  controllers: ControllerSet;
}

/**
 * Wires and runs a program's parts: one API client, the shared informers, a runner per
 * controller, leader election, the server (RPC services, health, metrics), components, and an
 * orderly shutdown. runProgram() makes one from flags; tests and tools may make one directly.
 */
export class Manager {
  /** The options it was made with. */
  readonly options: ManagerOptions;
  /** Its logger: options.log, or JSON on stderr tagged with its name. */
  readonly log: Logger;
  /** Its Prometheus metrics (controller-runtime's names), served on /metrics. */
  readonly metrics: Metrics = new Metrics(() =>
    this.informers.all.map((informer) => ({ kind: informer.kind, size: informer.size }))
  );
  /** The API client every part shares, from config.kubeconfig (or the default search). */
  readonly client: KubeClient;
  /** The shared cache: one informer per kind and scope. */
  readonly informers: Informers;
  /** This replica's name in the Lease and in Events: config.identity, else hostname_uuid. */
  readonly identity: string;
  /** The controllers it runs. */
  readonly controllers: ControllerSet;
  /** The leader elector, when config.leaderElect is on; undefined when this replica always writes. */
  readonly elector: LeaderElector | undefined;
  /** SERVING once caches have synced, NOT_SERVING again from the start of shutdown (grpc.health.v1). */
  readonly health: HealthStatus = new HealthStatus();
  #server: RunningServer | undefined;
  readonly #stopHooks: Array<() => void | Promise<void>> = [];
  readonly #startedComponents: Component[] = [];
  #stopping: Promise<void> | undefined;

  /**
   * Makes the manager and its parts; nothing connects or listens until start().
   *
   * @throws Error when two controllers have the same name, a cache selector is malformed or
   *   doubled, or the leader election timings do not satisfy lease duration > renew deadline >
   *   1.2 × retry period.
   */
  constructor(options: ManagerOptions) {
    this.options = options;
    const config = options.config;
    this.log = options.log ?? createLogger(config.logLevel, { manager: options.name });
    this.identity = config.identity || defaultIdentity();
    this.client = KubeClient.load(
      config.kubeconfig || undefined,
      (method, status) => this.metrics.restRequests.inc({ method, code: String(status) }),
      { maxConnections: config.kubeApiConnections },
    );
    this.informers = new Informers({
      client: this.client,
      log: this.log,
      namespaces: namespaceList(config.namespaces),
      onRestart: (kind, reason) => this.metrics.watchRestarts.inc({ ...kindLabels(kind), reason }),
      selectors: options.cacheSelectors,
    });
    if (config.leaderElect) {
      this.elector = new LeaderElector({
        client: this.client,
        informers: this.informers,
        log: this.log,
        identity: this.identity,
        leaseName: config.leaseName || options.name,
        leaseNamespace: config.leaseNamespace || inClusterNamespace() || "default",
        leaseDurationSeconds: config.leaseDurationSeconds,
        renewDeadlineSeconds: config.renewDeadlineSeconds,
        retryPeriodSeconds: config.retryPeriodSeconds,
        onStartedLeading: () => {
          this.metrics.leader.set({ name: options.name }, 1);
          this.controllers.start();
        },
        onStoppedLeading: async () => {
          this.metrics.leader.set({ name: options.name }, 0);
          await this.controllers.stop(defaultDrainTimeoutMs);
        },
        onNewLeader: (identity) => this.log.info("leader observed", { leader: identity }),
      });
    }
    const gate = { canWrite: () => this.canWrite() };
    const events = new ApiEventRecorder({
      client: this.client,
      controller: options.name,
      instance: this.identity,
      log: this.log,
      canWrite: gate.canWrite,
    });
    this.controllers = new ControllerSet(
      {
        client: this.client,
        informers: this.informers,
        metrics: this.metrics,
        log: this.log,
        events,
        fieldManager: options.name,
        finalizerDomain: options.finalizerDomain,
        gate,
        concurrency: config.concurrency,
      },
      options.controllers,
    );
  }

  /** Whether this replica may write now: it leads and renewed its Lease in time, or election is off. */
  canWrite(): boolean {
    return this.elector ? this.elector.canWrite() : true;
  }

  /** The port the server listens on once started (the real one when config.port is 0); undefined before. */
  get port(): number | undefined {
    return this.#server?.port;
  }

  /** Starts watching and serving; controllers run once caches sync and (with election) this replica leads. */
  async start(): Promise<void> {
    await this.client.ready;
    this.controllers.register();
    for (
      const kind of [
        ...(this.options.watch ?? []),
        ...(this.options.components ?? []).flatMap((component) => component.watch ?? []),
      ]
    ) this.informers.for(kind);
    this.informers.start();
    const context: ServiceContext = {
      client: this.client,
      informers: this.informers,
      log: this.log,
      identity: this.identity,
      canWrite: () => this.canWrite(),
      onStop: (stop) => void this.#stopHooks.push(stop),
    };
    const config = this.options.config;
    const auth = config.apiAuth === "kubernetes"
      ? new KubernetesAuth({
        client: this.client,
        log: this.log,
        access: [...(this.options.rpcAccess ?? []), healthAccess, ...reflectionAccess],
        cacheTtlSeconds: config.apiAuthCacheTtlSeconds,
      })
      : undefined;
    this.#server = await serve({
      host: config.host,
      port: config.port,
      log: this.log,
      routes: (router) => this.options.services?.(router, context),
      registry: this.options.registry,
      limits: {
        maxMessageBytes: config.maxMessageBytes,
        maxHeaderBytes: config.maxHeaderBytes,
        maxConcurrentStreams: config.maxConcurrentStreams,
      },
      tls: config.tlsCertFile ? { certFile: config.tlsCertFile, keyFile: config.tlsPrivateKeyFile } : undefined,
      health: this.health,
      requestGate: auth?.requestGate,
      interceptors: auth ? [auth.interceptor] : [],
      checkServed: auth && ((methods) => auth.checkServed(methods)),
      app: healthApp({
        metrics: this.metrics.registry,
        readiness: () => ({
          cachesSynced: this.informers.hasSynced,
          leader: this.elector ? this.elector.isLeader : true,
          leaderIdentity: this.elector ? this.elector.leader : this.identity,
          shuttingDown: this.#stopping !== undefined,
        }),
      }),
    });
    if (auth) {
      this.log.info("RPC callers are checked by TokenReview and SubjectAccessReview", {
        cacheTtlSeconds: config.apiAuthCacheTtlSeconds,
      });
    }
    const compaction = startIdleCompaction({ idleSeconds: config.memoryCompactionIdleSeconds, log: this.log });
    this.#stopHooks.push(() => compaction.stop());
    await this.informers.waitForSync();
    this.log.info("caches synced", { kinds: this.informers.all.map((informer) => informer.kind.kind) });
    for (const component of this.options.components ?? []) {
      if (this.#stopping) break;
      await component.start({ ...context, controllers: this.controllers });
      this.#startedComponents.push(component);
      this.log.info("component started", { component: component.name });
    }
    if (!this.#stopping) this.health.set(true);
    if (this.elector) {
      this.metrics.leader.set({ name: this.options.name }, 0);
      this.elector.start();
    } else {
      this.controllers.start();
    }
  }

  /** Stops taking work, lets in-flight syncs finish (bounded), releases the Lease, then closes everything. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.health.set(false);
      for (const component of this.#startedComponents.reverse()) {
        try {
          await component.stop();
        } catch (error) {
          this.log.error("component did not stop cleanly", {
            component: component.name,
            error: (error as Error).message,
          });
        }
      }
      if (this.elector) await this.elector.stop();
      else await this.controllers.stop(defaultDrainTimeoutMs);
      await Promise.allSettled(this.#stopHooks.map(async (stop) => stop()));
      const closed = await settlesWithin(Promise.all([this.#server?.close(), this.informers.stop()]), closeTimeoutMs);
      this.log.info("stopped", closed ? {} : { note: `server or watches did not close within ${closeTimeoutMs} ms` });
    })();
    return this.#stopping;
  }
}

function inClusterNamespace(): string | undefined {
  try {
    return existsSync(inClusterNamespaceFile) ? readFileSync(inClusterNamespaceFile, "utf8").trim() : undefined;
  } catch {
    return undefined;
  }
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const result = await Promise.race([promise.then(() => true, () => true), timeout]);
  clearTimeout(timer);
  return result;
}
