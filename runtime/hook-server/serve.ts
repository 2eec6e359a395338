// The hook server as runtime/hooks.ts offers it: hookHandler() (handler.ts, web-standard APIs
// only) with request metrics of its own, which take prom-client and so Node or Deno. A
// platform without them (workerd) uses hookHandler() directly.
import type { Hono } from "hono";
import type { ControllerDefinition } from "../controller.ts";
import { hookHandler, type HookServerOptions } from "./handler.ts";
import { HookMetrics } from "./metrics.ts";

export { defaultMaxBodyBytes, hookHandler, type HookMeter, type HookServerOptions, maxBodyDepth } from "./handler.ts";

/**
 * The hook server as a fetch handler (a Hono app): each controller's sync, finalize and
 * customize at POST /<controller>/<hook> (and /<hook> when there is one controller), with
 * GET /healthz and GET /metrics.
 *
 * @param definitions the controllers to serve; their hooks must be functions in this process.
 * @param options the body limit and the metrics (default: metrics of the app's own).
 */
export function hookApp(definitions: readonly ControllerDefinition<any>[], options: HookServerOptions = {}): Hono {
  return hookHandler(definitions, { ...options, metrics: options.metrics ?? new HookMetrics() });
}
