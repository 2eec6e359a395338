// Serves controller functions as HTTP hooks that speak Metacontroller's webhook JSON, as a
// standard fetch handler (Hono), so the same functions run in-process, behind `node`, behind
// `deno serve`, or on any platform that takes a fetch handler:
//   POST /<controller>/sync       {controller, parent, children, related, finalizing} → {status, children, resyncAfterSeconds}
//   POST /<controller>/finalize   the same → the same plus finalized
//   POST /<controller>/customize  {controller, parent} → {relatedResources}
// With one controller, /sync, /finalize and /customize serve it too. A malformed request is
// answered 400 and a function that throws or answers wrongly 500, each with a message. Each
// request is a span ("hook <name>") continuing the caller's trace from its traceparent header.
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { type ControllerDefinition, inProcess, type SyncRequest } from "../controller.ts";
import { validateResponse } from "../reconcile/validate.ts";
import { customizeResponse } from "../webhook/customize.ts";
import { BadRequest, requestOfBody, type WebhookName, webhookNames } from "../webhook/wire.ts";
import { HookMetrics } from "./metrics.ts";
import { contextFrom, failedWith, SpanKind, startSpan } from "../trace.ts";

/** Largest request body a hook reads: Metacontroller sends every child of a parent. */
export const defaultMaxBodyBytes = 16 * 2 ** 20;

export interface HookServerOptions {
  maxBodyBytes?: number;
  metrics?: HookMetrics;
}

export function hookApp(definitions: readonly ControllerDefinition<any>[], options: HookServerOptions = {}): Hono {
  const metrics = options.metrics ?? new HookMetrics();
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
  const byName = new Map(definitions.map((definition) => [definition.name, definition]));
  const app = new Hono();
  app.get("/healthz", (c) => c.text("ok"));
  app.get("/metrics", async (c) => {
    c.header("content-type", metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });
  const limit = bodyLimit({
    maxSize: maxBodyBytes,
    onError: (c) => c.json({ error: `request body is larger than ${maxBodyBytes} bytes` }, 413),
  });
  const serve =
    (hook: WebhookName, pick: (c: Context) => ControllerDefinition<any> | undefined) => async (c: Context) => {
      const definition = pick(c);
      if (!definition) {
        return c.json({
          error: `no controller ${JSON.stringify(c.req.param("controller"))}; serving ${[...byName.keys()].join(", ")}`,
        }, 404);
      }
      const done = metrics.start(hook, definition.name);
      const span = startSpan(`hook ${hook}`, contextFrom(c.req.raw.headers), {
        "kubefn.controller": definition.name,
        "kubefn.function": hook,
        "url.path": c.req.path,
      }, { kind: SpanKind.SERVER });
      try {
        const response = await answer(c, hook, definition);
        span.setAttribute("http.response.status_code", response.status);
        if (response.status >= 500) failedWith(span, `answered ${response.status}`);
        done(response.status);
        return response;
      } finally {
        span.end();
      }
    };
  for (const hook of webhookNames) {
    app.post(`/:controller/${hook}`, limit, serve(hook, (c) => byName.get(c.req.param("controller")!)));
    if (definitions.length === 1) app.post(`/${hook}`, limit, serve(hook, () => definitions[0]));
  }
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));
  return app;
}

async function answer(c: Context, hook: WebhookName, definition: ControllerDefinition<any>): Promise<Response> {
  let body: Record<string, unknown>;
  let request: SyncRequest;
  try {
    body = await readJson(c);
    request = requestOfBody(body, definition, hook);
  } catch (error) {
    if (error instanceof BadRequest) return c.json({ error: error.message }, 400);
    throw error;
  }
  if (hook === "finalize" && !definition.finalize) {
    return c.json({ error: `controller ${definition.name} has no finalize hook` }, 404);
  }
  try {
    if (hook === "customize") return c.json(customizeResponse(definition, request.parent));
    const fn = inProcess<SyncRequest, unknown>(
      hook === "finalize" ? definition.finalize! : definition.sync,
      `${definition.name}'s ${hook}`,
    );
    const response = fn(request);
    if (response instanceof Promise) {
      throw new Error("the function returned a Promise; sync and finalize must be synchronous and pure");
    }
    validateResponse(definition, request.parent, response, hook === "finalize");
    return c.json(response as object);
  } catch (error) {
    return c.json({ error: `${hook} failed: ${(error as Error).message}` }, 500);
  }
}

async function readJson(c: Context): Promise<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await c.req.text());
  } catch (error) {
    throw new BadRequest(`request body is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new BadRequest("request body must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}
