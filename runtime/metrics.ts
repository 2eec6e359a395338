// Prometheus metrics under the names controller-runtime users already graph, plus
// event-to-apply latency. One registry per manager; nothing global.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { groupOf, type Kind } from "./kube/kinds.ts";
import type { QueueObserver } from "./queue.ts";

/** The labels that name a kind in the informer metrics (the group tells apart kinds of one name). */
export const kindLabels = (kind: Kind) => ({ kind: kind.kind, group: groupOf(kind.apiVersion) });

const queueBuckets = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10, 100, 1000];
const reconcileBuckets = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.15,
  0.2,
  0.25,
  0.3,
  0.35,
  0.4,
  0.45,
  0.5,
  0.6,
  0.7,
  0.8,
  0.9,
  1,
  1.25,
  1.5,
  1.75,
  2,
  2.5,
  3,
  3.5,
  4,
  4.5,
  5,
  6,
  7,
  8,
  9,
  10,
  15,
  20,
  25,
  30,
  40,
  50,
  60,
];
const latencyBuckets = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.075,
  0.1,
  0.15,
  0.25,
  0.35,
  0.5,
  0.75,
  1,
  1.5,
  2,
  3,
  4,
  5,
  7.5,
  10,
  15,
  20,
  30,
  60,
];

/**
 * A manager's Prometheus metrics, in a registry of its own (nothing global), under the names
 * controller-runtime users already graph: reconciles, work queues, leader election and REST
 * requests, plus event-to-apply latency, cached objects per kind, and the process's memory and
 * CPU. The manager serves them on /metrics. Each metric field is a prom-client metric, labelled
 * as its type says.
 */
export class Metrics {
  /** The registry holding every metric below; add a program's own metrics to it to serve them too. */
  readonly registry: Registry = new Registry();
  /** controller_runtime_reconcile_total: syncs per controller, by result: success, error, requeue or requeue_after. */
  readonly reconcileTotal: Counter<"controller" | "result"> = this.#counter(
    "controller_runtime_reconcile_total",
    "Total number of reconciliations per controller",
    ["controller", "result"],
  );
  /** controller_runtime_reconcile_errors_total: failed syncs per controller. */
  readonly reconcileErrors: Counter<"controller"> = this.#counter(
    "controller_runtime_reconcile_errors_total",
    "Total number of reconciliation errors per controller",
    ["controller"],
  );
  /** controller_runtime_reconcile_time_seconds: how long each sync took, per controller. */
  readonly reconcileTime: Histogram<"controller"> = this.#histogram(
    "controller_runtime_reconcile_time_seconds",
    "Length of time per reconciliation per controller",
    ["controller"],
    reconcileBuckets,
  );
  /** controller_runtime_active_workers: workers syncing right now, per controller. */
  readonly activeWorkers: Gauge<"controller"> = this.#gauge(
    "controller_runtime_active_workers",
    "Number of currently used workers per controller",
    ["controller"],
  );
  /** controller_runtime_max_concurrent_reconciles: each controller's number of workers. */
  readonly maxWorkers: Gauge<"controller"> = this.#gauge(
    "controller_runtime_max_concurrent_reconciles",
    "Maximum number of concurrent reconciles per controller",
    ["controller"],
  );
  /** workqueue_depth: keys waiting in each controller's queue (`name` is the controller's). */
  readonly queueDepth: Gauge<"name"> = this.#gauge("workqueue_depth", "Current depth of workqueue", ["name"]);
  /** workqueue_adds_total: keys added to each queue. */
  readonly queueAdds: Counter<"name"> = this.#counter(
    "workqueue_adds_total",
    "Total number of adds handled by workqueue",
    ["name"],
  );
  /** workqueue_queue_duration_seconds: how long keys waited before a worker took them. */
  readonly queueLatency: Histogram<"name"> = this.#histogram(
    "workqueue_queue_duration_seconds",
    "How long in seconds an item stays in workqueue before being requested",
    ["name"],
    queueBuckets,
  );
  /** workqueue_work_duration_seconds: how long workers took over a key. */
  readonly workDuration: Histogram<"name"> = this.#histogram(
    "workqueue_work_duration_seconds",
    "How long in seconds processing an item from workqueue takes",
    ["name"],
    queueBuckets,
  );
  /** workqueue_retries_total: keys re-added after a failure. */
  readonly queueRetries: Counter<"name"> = this.#counter(
    "workqueue_retries_total",
    "Total number of retries handled by workqueue",
    [
      "name",
    ],
  );
  /** leader_election_master_status: 1 while this replica leads the Lease named `name`, else 0. */
  readonly leader: Gauge<"name"> = this.#gauge(
    "leader_election_master_status",
    "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master",
    ["name"],
  );
  /**
   * controller_runtime_event_to_apply_seconds: from a watch event seen to the write it caused
   * acknowledged; for a child's change, the controller's batch period included.
   */
  readonly eventToApply: Histogram<"controller"> = this.#histogram(
    "controller_runtime_event_to_apply_seconds",
    "Time from a watch event being observed to the write it caused being acknowledged by the API server",
    ["controller"],
    latencyBuckets,
  );
  /** controller_runtime_actions_total: actions run to their end per controller, by type (command, http) and result (succeeded, failed, timed_out). */
  readonly actionsTotal: Counter<"controller" | "type" | "result"> = this.#counter(
    "controller_runtime_actions_total",
    "Actions (commands in pods, HTTP requests) run to their end per controller, by type and result",
    ["controller", "type", "result"],
  );
  /** controller_runtime_action_duration_seconds: how long each action's run took, per controller and type. */
  readonly actionDuration: Histogram<"controller" | "type"> = this.#histogram(
    "controller_runtime_action_duration_seconds",
    "Length of time per action run per controller and type",
    ["controller", "type"],
    latencyBuckets,
  );
  /** rest_client_requests_total: requests to the API server, by HTTP method and status code ("error" for none). */
  readonly restRequests: Counter<"method" | "code"> = this.#counter(
    "rest_client_requests_total",
    "Number of HTTP requests to the Kubernetes API, partitioned by method and status code",
    ["method", "code"],
  );
  /** informer_list_watch_restarts_total: lists and watch restarts, by kind and RestartReason. */
  readonly watchRestarts: Counter<"kind" | "group" | "reason"> = this.#counter(
    "informer_list_watch_restarts_total",
    "Lists and watch restarts per kind and reason",
    ["kind", "group", "reason"],
  );

  /**
   * Makes the registry and every metric, including informer_cached_objects and the process's
   * resident memory, heap, CPU time and start time, which are read on every scrape.
   *
   * @param cacheSizes the number of cached objects per kind, read on every scrape.
   */
  constructor(cacheSizes: () => Iterable<{ kind: Kind; size: number }> = () => []) {
    const registers = [this.registry];
    new Gauge({
      name: "informer_cached_objects",
      help: "Objects held in the shared cache per kind (all selectors)",
      labelNames: ["kind", "group"],
      registers,
      collect() {
        // Informers of one kind with different selectors add up.
        this.reset();
        for (const { kind, size } of cacheSizes()) this.inc(kindLabels(kind), size);
      },
    });
    const memory: Array<[name: string, help: string, read: () => number]> = [
      ["process_resident_memory_bytes", "Resident memory size in bytes", () => process.memoryUsage.rss()],
      ["nodejs_heap_size_used_bytes", "JavaScript heap in use, in bytes", () => process.memoryUsage().heapUsed],
      ["nodejs_heap_size_total_bytes", "JavaScript heap allocated, in bytes", () => process.memoryUsage().heapTotal],
    ];
    for (const [name, help, read] of memory) {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    }
    new Counter({
      name: "process_cpu_seconds_total",
      help: "Total user and system CPU time spent in seconds",
      registers,
      collect() {
        const { user, system } = process.cpuUsage();
        this.reset();
        this.inc((user + system) / 1e6);
      },
    });
    new Gauge({
      name: "process_start_time_seconds",
      help: "Start time of the process since the Unix epoch in seconds",
      registers,
    }).set(
      Math.round(Date.now() / 1000 - process.uptime()),
    );
  }

  #counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  #gauge<L extends string>(name: string, help: string, labelNames: L[]): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  #histogram<L extends string>(name: string, help: string, labelNames: L[], buckets: number[]): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }

  /** A WorkQueue observer that records the workqueue_* metrics of the queue named `name`. */
  queueObserver(name: string): QueueObserver {
    return {
      added: (depth) => {
        this.queueAdds.inc({ name });
        this.queueDepth.set({ name }, depth);
      },
      started: (depth, waited) => {
        this.queueDepth.set({ name }, depth);
        this.queueLatency.observe({ name }, waited);
      },
      finished: (worked) => this.workDuration.observe({ name }, worked),
      retried: () => this.queueRetries.inc({ name }),
    };
  }
}
