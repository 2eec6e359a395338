// grpc.health.v1.Health, for Kubernetes' grpc probes and grpc-health-probe: Check, List and
// Watch, for the server as a whole (service "") and for each registered service. Every
// service shares the server's status: NOT_SERVING until the caches have synced and again
// from the moment the process starts shutting down, SERVING in between.
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../gen/grpc/health/v1/health_pb.ts";
import { serviceAccess } from "../auth/rules.ts";

/** The server's serving state, which the manager sets and the health service reports. */
export class HealthStatus {
  #serving = false;
  readonly #listeners = new Set<() => void>();

  /** True while the server reports SERVING. */
  get serving(): boolean {
    return this.#serving;
  }

  /** Sets the state; listeners are called only when it changes. */
  set(serving: boolean): void {
    if (serving === this.#serving) return;
    this.#serving = serving;
    for (const listener of [...this.#listeners]) listener();
  }

  /** Calls `listener` on each change until the returned function is called. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }
}

/** Registers grpc.health.v1.Health; `services` lists the registered services when asked. */
export function registerHealth(router: ConnectRouter, health: HealthStatus, services: () => ReadonlySet<string>): void {
  const known = (service: string) => service === "" || services().has(service);
  const current = () => (health.serving ? Status.SERVING : Status.NOT_SERVING);
  router.service(Health, {
    check(request) {
      if (!known(request.service)) throw new ConnectError(`unknown service ${request.service}`, Code.NotFound);
      return { status: current() };
    },
    list() {
      const statuses = Object.fromEntries(["", ...services()].map((service) => [service, { status: current() }]));
      return { statuses };
    },
    async *watch(request, context) {
      let sent: Status | undefined;
      for await (const _ of changes(health, context.signal)) {
        // An unknown service is reported, and the call stays open: the service may appear later.
        const status = known(request.service) ? current() : Status.SERVICE_UNKNOWN;
        if (status === sent) continue;
        sent = status;
        yield { status };
      }
    },
  });
}

/** Yields once at once and once after each change of `health`, until `signal` aborts. */
async function* changes(health: HealthStatus, signal: AbortSignal): AsyncGenerator<void> {
  let wake: (() => void) | undefined;
  let changed = true;
  const notify = () => {
    changed = true;
    wake?.();
  };
  const stop = health.onChange(notify);
  signal.addEventListener("abort", notify, { once: true });
  try {
    while (!signal.aborted) {
      if (changed) {
        changed = false;
        yield;
        continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    stop();
    signal.removeEventListener("abort", notify);
  }
}

/** Health is open to anyone: Kubernetes' grpc probes carry no token. */
export const healthAccess = serviceAccess(Health, { check: "public", list: "public", watch: "public" });
