// Metrics of a hook server, under the names Metacontroller gives its hook clients
// (metacontroller_<hook>_requests_total, _request_duration_histogram_seconds,
// _in_flight_requests), labelled by controller, seen from the serving side.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { type WebhookName, webhookNames } from "../webhook/wire.ts";

const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The request counters, duration histograms and in-flight gauges of a hook server, one set per
 * hook; hookApp() serves them at GET /metrics. Pass one in its options to read them in a test.
 */
export class HookMetrics {
  /** The prom-client registry holding them; `await registry.metrics()` is the exposition text. */
  readonly registry: Registry = new Registry();
  readonly #requests = new Map<WebhookName, Counter<"code" | "method" | "controller_name">>();
  readonly #durations = new Map<WebhookName, Histogram<"method" | "controller_name">>();
  readonly #inFlight = new Map<WebhookName, Gauge<"controller_name">>();

  constructor() {
    const registers = [this.registry];
    for (const hook of webhookNames) {
      const prefix = `metacontroller_${hook}`;
      this.#requests.set(
        hook,
        new Counter({
          name: `${prefix}_requests_total`,
          help: `${hook} hook requests answered, by status code`,
          labelNames: ["code", "method", "controller_name"],
          registers,
        }),
      );
      this.#durations.set(
        hook,
        new Histogram({
          name: `${prefix}_request_duration_histogram_seconds`,
          help: `Time to answer a ${hook} hook request`,
          labelNames: ["method", "controller_name"],
          buckets: durationBuckets,
          registers,
        }),
      );
      this.#inFlight.set(
        hook,
        new Gauge({
          name: `${prefix}_in_flight_requests`,
          help: `${hook} hook requests being answered`,
          labelNames: ["controller_name"],
          registers,
        }),
      );
    }
  }

  /** Counts a request in flight; call the returned function with the status code once answered. */
  start(hook: WebhookName, controller: string): (code: number) => void {
    const started = performance.now();
    const labels = { controller_name: controller };
    this.#inFlight.get(hook)!.inc(labels);
    return (code) => {
      this.#inFlight.get(hook)!.dec(labels);
      this.#requests.get(hook)!.inc({ ...labels, method: "POST", code: String(code) });
      this.#durations.get(hook)!.observe({ ...labels, method: "POST" }, (performance.now() - started) / 1000);
    };
  }
}
