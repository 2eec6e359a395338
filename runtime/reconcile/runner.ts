// Runs one controller: its work queue and workers, each taking a parent key and syncing it.
// A sync that fails becomes a Ready=False condition, a Warning Event and per-key backoff;
// nothing a function does can stop the process. The pieces it drives:
//   triggers.ts  watch events → parent keys      observe.ts  the cache → the function's request
//   sync.ts      one sync, reads to writes       plan.ts     desired vs observed children (pure)
//   status.ts    status and failures (pure)      finalizers.ts  the finalizer's steps (pure)
//   actions.ts   commands in pods and their results, one ActionRunner per leadership term
import type { Informers } from "../cache/informers.ts";
import type { Change } from "../cache/informer.ts";
import { checkBatchPeriod, checkCount, type ControllerDefinition } from "../controller.ts";
import type { EventRecorder } from "../events.ts";
import { isConflict, isNamespaceTerminating, type KubeClient } from "../kube/client.ts";
import { type KubeObject, objectKey, splitKey } from "../kube/objects.ts";
import { rfc3339 } from "../kube/time.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import { WorkQueue } from "../queue.ts";
import { type Exec, podExec } from "../exec/exec.ts";
import { secretHeaderReader } from "../exec/http.ts";
import { type ActionJournal, ActionRunner, type JournalRecord } from "../exec/actions.ts";
import { failureReasonOf, NotLeaderError } from "./failures.ts";
import { finalizerName, holdsFinalizer } from "./finalizers.ts";
import { failureMessage, failureStatus, ownFailure, type Writer } from "./failures.ts";
import type { WriteGate } from "./context.ts";
import { ParentSync, passes } from "./sync.ts";
import { Triggers } from "./triggers.ts";
import { defaultConcurrency, defaultDrainTimeoutMs } from "../defaults.ts";
import { eventSpan, failed, noTrace, PendingLinks, startSpan, under } from "../trace.ts";

export interface RunnerOptions {
  client: KubeClient;
  informers: Informers;
  metrics: Metrics;
  log: Logger;
  events: EventRecorder;
  /** Field manager for children (and the prefix of per-controller managers for status and finalizers). */
  fieldManager: string;
  /** Finalizers are "<finalizerDomain>/<controller name>"; without one, the parent's API group names them. */
  finalizerDomain?: string | undefined;
  gate: WriteGate;
  /**
   * Names of the other controllers of the same parent kind. With siblings, the runtime's
   * failure messages start with "<controller>: ", so each controller clears only its own
   * failure and leaves a sibling's in place instead of overwriting it.
   */
  siblings?: readonly string[] | (() => readonly string[]);
  concurrency?: number;
  /** Actions (commands in pods, HTTP requests) this controller runs at once. */
  actionConcurrency?: number;
  /** Runs commands in pods; pods/exec through the client unless given. */
  exec?: Exec;
  now?: () => Date;
}

/** The annotation prefix of the actions journal a controller keeps on each parent with actions. */
export const actionsAnnotationPrefix = "actions.kubefn.dev";

/** How soon a sync refused for want of a renewed Lease runs again (without counting as a failure). */
export const notLeaderRetryMs = 500;

export class ControllerRunner<P extends KubeObject = KubeObject> {
  readonly definition: ControllerDefinition<P>;
  readonly finalizer: string;
  readonly #options: RunnerOptions;
  readonly #log: Logger;
  readonly #writer: Writer;
  readonly #triggers: Triggers;
  readonly #sync: ParentSync<P>;
  /** When the first change that queued each key was seen, for event-to-apply latency. */
  readonly #seenAt = new Map<string, number>();
  /** The watch events that queued each key, for the links of its sync span. */
  readonly #links = new PendingLinks();
  #queue: WorkQueue | undefined;
  #workers: Promise<void>[] = [];
  #actions: ActionRunner | undefined;

  constructor(definition: ControllerDefinition<P>, options: RunnerOptions) {
    this.definition = definition;
    this.#options = options;
    this.#log = options.log.with({ controller: definition.name });
    this.finalizer = finalizerName(options.finalizerDomain, definition.name, definition.parent.apiVersion);
    const siblings = options.siblings;
    // Read at each use: controllers added or removed at run time change who the siblings are.
    this.#writer = {
      name: definition.name,
      shared: definition.parentStatus === "shared",
      eventsOnly: definition.writes === "metacontroller",
      get siblings() {
        return (typeof siblings === "function" ? siblings() : siblings) ?? [];
      },
    };
    this.#triggers = new Triggers(
      definition,
      options.informers,
      (key, change, batch) => this.#enqueue(key, change, batch),
    );
    this.#sync = new ParentSync(definition, {
      ...options,
      triggers: this.#triggers,
      statusManager: `${options.fieldManager}.${definition.name}`,
      finalizer: this.finalizer,
      writer: this.#writer,
      actions: {
        results: (key, parent) => this.#actions?.results(key, parent) ?? {},
        submit: (key, parent, actions, trace) => this.#actions?.submit(key, parent, actions, trace),
        forget: (key) => this.#actions?.forget(key),
      },
      log: this.#log,
      now: () => options.now?.() ?? new Date(),
    });
  }

  get name(): string {
    return this.definition.name;
  }

  /** Subscribes to the informers this controller needs; call before they start. */
  register(): void {
    this.#triggers.register();
  }

  /** Stops hearing about changes (a controller removed at run time). */
  unregister(): void {
    this.#triggers.unregister();
  }

  get running(): boolean {
    return this.#queue !== undefined && !this.#queue.shuttingDown;
  }

  /** Starts workers and queues every parent in the cache. */
  start(): void {
    if (this.running) return;
    const { metrics } = this.#options;
    const queue = new WorkQueue({ observer: metrics.queueObserver(this.name) });
    this.#queue = queue;
    // Checked here too: a definition need not have come through controller().
    const actionConcurrency = this.definition.effects?.concurrency;
    checkCount(this.name, "effects.concurrency", actionConcurrency);
    checkCount(this.name, "concurrency", this.definition.concurrency);
    checkBatchPeriod(this.name, this.definition.batchPeriodSeconds);
    this.#actions = new ActionRunner({
      exec: this.#options.exec ?? podExec(this.#options.client),
      journal: this.#journal(),
      requeue: (key) => queue.add(key),
      events: this.#options.events,
      log: this.#log,
      canRun: () => this.#options.gate.canWrite(),
      concurrency: actionConcurrency ?? this.#options.actionConcurrency,
      now: this.#options.now,
      secretHeaders: secretHeaderReader(this.#options.client, this.name),
      observe: (type, result, seconds) => {
        const outcome = result.phase === "Succeeded" ? "succeeded" : result.timedOut ? "timed_out" : "failed";
        metrics.actionsTotal.inc({ controller: this.name, type, result: outcome });
        metrics.actionDuration.observe({ controller: this.name, type }, seconds);
      },
    });
    const concurrency = this.definition.concurrency ?? this.#options.concurrency ?? defaultConcurrency;
    metrics.maxWorkers.set({ controller: this.name }, concurrency);
    for (const parent of this.#options.informers.for(this.definition.parent).list()) queue.add(objectKey(parent));
    this.#workers = Array.from({ length: concurrency }, () => this.#work(queue));
    this.#log.info("controller started", { workers: concurrency });
  }

  /**
   * The actions journal on each parent: annotation actions.kubefn.dev/<controller>, JSON of the
   * results by id, written by merge patch through the write gate.
   */
  #journal(): ActionJournal {
    const annotation = `${actionsAnnotationPrefix}/${this.name}`;
    const parentKind = this.definition.parent;
    const { client, informers, gate } = this.#options;
    return {
      read(parent) {
        const text = parent.metadata.annotations?.[annotation];
        if (!text) return {};
        try {
          const records = JSON.parse(text) as unknown;
          return typeof records === "object" && records !== null && !Array.isArray(records)
            ? records as Record<string, JournalRecord>
            : {};
        } catch {
          return {};
        }
      },
      async write(key, parent, records) {
        const current = informers.for(parentKind).get(key) ?? parent;
        const empty = Object.keys(records).length === 0;
        if (empty && current.metadata.annotations?.[annotation] === undefined) return;
        if (!gate.canWrite()) throw new NotLeaderError();
        const patched = await client.patch(parentKind, current.metadata.namespace, current.metadata.name, {
          metadata: { annotations: { [annotation]: empty ? null : JSON.stringify(records) } },
        }, "merge");
        informers.for(parentKind).remember(patched);
      },
    };
  }

  /** Stops taking work and waits (bounded) for in-flight syncs. Returns whether they all finished. */
  async stop(drainTimeoutMs = defaultDrainTimeoutMs): Promise<boolean> {
    const queue = this.#queue;
    if (!queue) return true;
    const drained = await queue.shutDownWithDrain(drainTimeoutMs);
    if (drained) await Promise.all(this.#workers);
    this.#actions?.stop();
    this.#log.info("controller stopped", { drained });
    return drained;
  }

  /** One sync of one parent, outside the queue. Returns the resync delay the function asked for, if any. */
  async reconcile(key: string): Promise<number | undefined> {
    const seenAt = this.#seenAt.get(key);
    this.#seenAt.delete(key);
    const { links, dropped } = this.#links.take(key);
    const { parent } = this.definition;
    const { namespace, name } = splitKey(key);
    const span = startSpan(`sync ${this.name}`, noTrace, {
      "kubefn.controller": this.name,
      "kubefn.object.kind": parent.kind,
      "kubefn.object.api_version": parent.apiVersion,
      "kubefn.object.name": name,
      ...(namespace ? { "k8s.namespace.name": namespace } : {}),
      ...(dropped ? { "kubefn.links.dropped": dropped } : {}),
    }, { links });
    try {
      const resyncAfterSeconds = await this.#sync.run(key, seenAt, under(noTrace, span));
      span.setAttribute("kubefn.sync.result", resyncAfterSeconds === undefined ? "success" : "requeue_after");
      return resyncAfterSeconds;
    } catch (error) {
      // Retried without counting as failures: the span says so and stays unset.
      if (error instanceof NotLeaderError) span.setAttribute("kubefn.sync.result", "not_leader");
      else if (isConflict(error)) span.setAttribute("kubefn.sync.result", "conflict");
      else {
        span.setAttribute("kubefn.sync.result", "error");
        failed(span, error);
      }
      throw error;
    } finally {
      span.end();
    }
  }

  /** The definition's resync period, for a parent that still exists. */
  #periodicResync(key: string): number | undefined {
    const period = this.definition.resyncPeriodSeconds;
    return period && this.#options.informers.for(this.definition.parent).get(key) ? period : undefined;
  }

  #enqueue(key: string, change: Change, batch: boolean): void {
    const queue = this.#queue;
    if (!queue || queue.shuttingDown) return;
    const { filter, parent } = this.definition;
    // A parent the filter no longer picks still concerns this controller while it holds the
    // finalizer (it is finalized, then let go), in the change that made the filter drop it, and
    // whenever it shows a failure this controller recorded (a sibling's status write, racing the
    // removal, may have carried it back): the sync takes the failure back.
    if (
      filter && change.object.kind === parent.kind && change.type !== "deleted" &&
      !holdsFinalizer(change.object, this.finalizer) && !passes(this.definition, change.object as P, this.#log) &&
      !(change.old && passes(this.definition, change.old as P, this.#log)) &&
      !(this.#writer.siblings.length && ownFailure(change.object, this.#writer))
    ) return;
    if (!this.#seenAt.has(key)) this.#seenAt.set(key, change.observedAt);
    this.#links.add(key, eventSpan(change));
    // A child's or a related object's change waits behind parents' own changes (a new parent
    // gets its children first while a burst lasts) and, with a batch period, for more changes.
    if (batch) queue.addAfter(key, (this.definition.batchPeriodSeconds ?? 0) * 1000, "low");
    else queue.add(key);
  }

  async #work(queue: WorkQueue): Promise<void> {
    const { metrics } = this.#options;
    const controller = this.name;
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      metrics.activeWorkers.inc({ controller });
      const started = performance.now();
      try {
        const resyncAfterSeconds = (await this.reconcile(key)) ?? this.#periodicResync(key);
        queue.forget(key);
        metrics.reconcileTotal.inc({
          controller,
          result: resyncAfterSeconds !== undefined ? "requeue_after" : "success",
        });
        if (resyncAfterSeconds !== undefined) queue.addAfter(key, resyncAfterSeconds * 1000);
      } catch (error) {
        if (error instanceof NotLeaderError) {
          // The renew deadline passed (a long pause, a slow API server). Keep the key: either
          // the next renewal succeeds and it runs again, or leadership is lost, this queue is
          // shut down, and a new term starts by queueing every parent anyway.
          this.#log.debug("sync interrupted: not allowed to write until the Lease is renewed; requeueing", { key });
          queue.addAfter(key, notLeaderRetryMs);
        } else if (isNamespaceTerminating(error)) {
          // Nothing can be made in a namespace being deleted, and what is there goes with it:
          // retrying would only spin until the parent is gone. Its deletion syncs it again.
          metrics.reconcileTotal.inc({ controller, result: "success" });
          queue.forget(key);
          this.#log.debug("the parent's namespace is being deleted; not retrying", {
            key,
            error: (error as Error).message,
          });
        } else if (isConflict(error)) {
          metrics.reconcileTotal.inc({ controller, result: "requeue" });
          this.#log.debug("conflict; requeueing", { key, error: (error as Error).message });
          queue.addRateLimited(key);
        } else {
          metrics.reconcileTotal.inc({ controller, result: "error" });
          metrics.reconcileErrors.inc({ controller });
          const delayMs = queue.addRateLimited(key);
          await this.#reportFailure(key, error as Error, delayMs);
        }
      } finally {
        metrics.reconcileTime.observe({ controller }, (performance.now() - started) / 1000);
        metrics.activeWorkers.dec({ controller });
        queue.done(key);
      }
    }
  }

  /** Records a failed sync on its parent: a Warning Event and, unless a sibling's failure stands, Ready=False. */
  async #reportFailure(key: string, error: Error, retryInMs: number): Promise<void> {
    const reason = failureReasonOf(error);
    const message = failureMessage(this.#writer, error.message);
    this.#log.warn("sync failed", { key, reason, error: error.message, retryInMs });
    const parent = this.#options.informers.for(this.definition.parent).get(key) as P | undefined;
    if (!parent || !this.#options.gate.canWrite()) return;
    this.#options.events.record(parent, "Warning", reason, "Sync", message);
    // A status owned by another controller, or Metacontroller's parents, get no condition of
    // ours; the Event tells.
    if (this.#writer.shared || this.#writer.eventsOnly) return;
    const status = failureStatus(parent, reason, message, this.#writer, rfc3339(this.#options.now?.() ?? new Date()));
    if (!status) return;
    try {
      await this.#sync.applyStatus(parent, status);
    } catch (statusError) {
      this.#log.warn("could not record the failure on the parent's status", {
        key,
        error: (statusError as Error).message,
      });
    }
  }
}
