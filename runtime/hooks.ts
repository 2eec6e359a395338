// The runtime's door for serving functions as Metacontroller-compatible webhooks: one fetch
// handler (a Hono app) for any platform that takes one; hook-server/main.ts runs it on Node,
// hook-server/deno.ts under `deno serve`, and hook-server/workerd.ts on workerd (hookHandler,
// which uses web-standard APIs only).
export {
  defaultMaxBodyBytes,
  hookApp,
  hookHandler,
  type HookMeter,
  type HookServerOptions,
} from "./hook-server/serve.ts";
export { definitionsOf } from "./hook-server/definitions.ts";
export { loadDefinitions } from "./hook-server/load.ts";
export type { HookMetrics } from "./hook-server/metrics.ts";
export { type WebhookName, webhookNames } from "./webhook/wire.ts";
