// Serves controller functions as HTTP hooks that speak Metacontroller's webhook JSON, as a
// standard fetch handler (Hono) that uses web-standard APIs only, so the same functions run
// in-process, behind `node`, behind `deno serve`, on workerd, or on any platform that takes a
// fetch handler:
//   POST /<controller>/sync       {controller, parent, children, related, finalizing} → {status, children, resyncAfterSeconds}
//   POST /<controller>/finalize   the same → the same plus finalized
//   POST /<controller>/customize  {controller, parent} → {relatedResources}
// With one controller, /sync, /finalize and /customize serve it too. A malformed request is
// answered 4xx (400; 413 when its body is over maxBodyBytes, refused unread or as soon as it is
// counted over) and a function that throws or answers wrongly 500, each as {"error": message},
// a message that names what is wrong without echoing the request. Each request is a span
// ("hook <name>") continuing the caller's trace from its traceparent header.
import { type Context, Hono } from "hono";
import { type ControllerDefinition, inProcess, type SyncRequest } from "../controller.ts";
import { validateResponse } from "../reconcile/validate.ts";
import { customizeResponse } from "../webhook/customize.ts";
import { BadRequest, brief, requestOfBody, type WebhookName, webhookNames } from "../webhook/wire.ts";
import { contextFrom, failedWith, SpanKind, startSpan } from "../trace.ts";

/** Largest request body a hook reads: Metacontroller sends every child of a parent. */
export const defaultMaxBodyBytes = 16 * 2 ** 20;

/**
 * Deepest nesting of arrays and objects a request body may have. JSON.parse takes any depth,
 * but the walks after it recurse: structuredClone, JSON.stringify, the checks of an answer and
 * a function's own code overflow Node's default stack at a few thousand levels (structuredClone
 * of nested objects at about 1,650), which would answer a caller's mistake with a 500. No
 * Kubernetes object comes near this (Go's encoding/json, Metacontroller's, stops at 10,000).
 */
export const maxBodyDepth = 1_000;

/** Longest error message answered, in UTF-16 code units; a function's message is cut there too. */
const maxErrorLength = 1_000;

/** What counts a hook server's requests and serves them at GET /metrics (HookMetrics is one). */
export interface HookMeter {
  /** Counts a request in flight; the returned function is called with the status code once answered. */
  start(hook: WebhookName, controller: string): (code: number) => void;
  /** The exposition served at GET /metrics. */
  readonly registry: { readonly contentType: string; metrics(): Promise<string> };
}

/** What hookApp() and hookHandler() take besides the controllers. */
export interface HookServerOptions {
  /** Largest request body read, in bytes; a larger one is answered 413. Default: defaultMaxBodyBytes (16 MiB). */
  maxBodyBytes?: number;
  /**
   * Where requests are counted, served at GET /metrics. hookApp() makes metrics of its own when
   * none is given; hookHandler() then counts nothing and serves no /metrics.
   */
  metrics?: HookMeter;
}

/**
 * The hook server as a fetch handler (a Hono app) on web-standard APIs only: each controller's
 * sync, finalize and customize at POST /<controller>/<hook> (and /<hook> when there is one
 * controller), with GET /healthz, and GET /metrics when `options.metrics` is given.
 *
 * @param definitions the controllers to serve; their hooks must be functions in this process.
 * @param options the body limit and the metrics.
 */
export function hookHandler(definitions: readonly ControllerDefinition<any>[], options: HookServerOptions = {}): Hono {
  const metrics = options.metrics;
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
  const byName = new Map(definitions.map((definition) => [definition.name, definition]));
  const app = new Hono();
  app.get("/healthz", (c) => c.text("ok"));
  if (metrics) {
    app.get("/metrics", async (c) => {
      c.header("content-type", metrics.registry.contentType);
      return c.body(await metrics.registry.metrics());
    });
  }
  const serve =
    (hook: WebhookName, pick: (c: Context) => ControllerDefinition<any> | undefined) => async (c: Context) => {
      const definition = pick(c);
      if (!definition) {
        return failure(
          c,
          404,
          `no controller ${JSON.stringify(brief(c.req.param("controller") ?? ""))}; serving ${
            [...byName.keys()].join(", ")
          }`,
        );
      }
      const answered = await serveHook(hook, definition, {
        headers: c.req.raw.headers,
        path: c.req.path,
        read: () => readText(c, maxBodyBytes),
      }, { maxBodyBytes, metrics });
      return c.json(answered.body, answered.status);
    };
  for (const hook of webhookNames) {
    app.post(`/:controller/${hook}`, serve(hook, (c) => byName.get(c.req.param("controller")!)));
    if (definitions.length === 1) app.post(`/${hook}`, serve(hook, () => definitions[0]));
  }
  app.notFound((c) => failure(c, 404, `no route for ${c.req.method} ${brief(c.req.path)}`));
  app.onError((error, c) => failure(c, 500, `internal error: ${error.message}`));
  return app;
}

/** An error answer as a Hono response (see hookFailure). */
function failure(c: Context, status: 400 | 404 | 413 | 500, message: string): Response {
  return c.json(hookFailure(status, message).body, status);
}

/** A body over maxBodyBytes; answered 413. */
export class TooLarge extends Error {}

/** A hook's answer before it is written: the status code and the JSON body. */
export interface HookAnswer {
  status: 200 | 400 | 404 | 413 | 500;
  body: object;
}

/** One hook request as any server carries it: the headers a trace continues from, the path, and its body. */
export interface HookRequest {
  headers: Headers;
  path: string;
  /** Reads the whole body; throws TooLarge over maxBodyBytes, BadRequest when it cannot be read. */
  read(): Promise<string>;
}

/** An error answer: {"error": message}, the message cut at maxErrorLength. */
export const hookFailure = (status: HookAnswer["status"], message: string): HookAnswer => ({
  status,
  body: { error: brief(message, maxErrorLength) },
});

/**
 * Serves one request to one controller's hook, whatever server carries it (hookHandler() on
 * web-standard APIs, nodeHookListener() on node:http): counted in the metrics, a span continuing
 * the caller's trace, and every fault answered.
 */
export async function serveHook(
  hook: WebhookName,
  definition: ControllerDefinition<any>,
  request: HookRequest,
  options: { maxBodyBytes: number; metrics?: HookMeter | undefined },
): Promise<HookAnswer> {
  const done = options.metrics?.start(hook, definition.name);
  const span = startSpan(`hook ${hook}`, contextFrom(request.headers), {
    "kubefn.controller": definition.name,
    "kubefn.function": hook,
    "url.path": request.path,
  }, { kind: SpanKind.SERVER });
  try {
    let answered: HookAnswer;
    try {
      answered = await answer(hook, definition, request, options.maxBodyBytes);
    } catch (error) {
      // A fault of the server's own, not the caller's nor the function's; still answered, and counted.
      answered = hookFailure(500, `internal error: ${(error as Error).message}`);
    }
    span.setAttribute("http.response.status_code", answered.status);
    if (answered.status >= 500) failedWith(span, `answered ${answered.status}`);
    done?.(answered.status);
    return answered;
  } finally {
    span.end();
  }
}

async function answer(
  hook: WebhookName,
  definition: ControllerDefinition<any>,
  source: HookRequest,
  maxBodyBytes: number,
): Promise<HookAnswer> {
  let body: Record<string, unknown>;
  let request: SyncRequest;
  try {
    body = readJson(await source.read());
    request = requestOfBody(body, definition, hook);
  } catch (error) {
    if (error instanceof TooLarge) return hookFailure(413, `request body is larger than ${maxBodyBytes} bytes`);
    if (error instanceof BadRequest) return hookFailure(400, error.message);
    throw error;
  }
  if (hook === "finalize" && !definition.finalize) {
    return hookFailure(404, `controller ${definition.name} has no finalize hook`);
  }
  try {
    if (hook === "customize") return { status: 200, body: customizeResponse(definition, request.parent) };
    const fn = inProcess<SyncRequest, unknown>(
      hook === "finalize" ? definition.finalize! : definition.sync,
      `${definition.name}'s ${hook}`,
    );
    const response = fn(request);
    if (response instanceof Promise) {
      throw new Error("the function returned a Promise; sync and finalize must be synchronous and pure");
    }
    validateResponse(definition, request.parent, response, hook === "finalize");
    return { status: 200, body: response as object };
  } catch (error) {
    return hookFailure(500, `${hook} failed: ${(error as Error).message}`);
  }
}

/**
 * The request body as text, counted as it is read: TooLarge as soon as it is over
 * maxBodyBytes (or unread, when its content-length says so), whatever content-length says
 * otherwise; a body that fails to arrive is the caller's.
 */
async function readText(c: Context, maxBodyBytes: number): Promise<string> {
  const declared = c.req.header("content-length")?.trim();
  if (declared && /^\d+$/.test(declared) && Number(declared) > maxBodyBytes) throw new TooLarge();
  const stream = c.req.raw.body;
  if (!stream) return "";
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!(value instanceof Uint8Array)) throw new BadRequest("request body could not be read: a chunk is not bytes");
      size += value.byteLength;
      if (size > maxBodyBytes) throw new TooLarge();
      chunks.push(value);
    }
  } catch (error) {
    reader.cancel().catch(() => {});
    if (error instanceof TooLarge || error instanceof BadRequest) throw error;
    throw new BadRequest(`request body could not be read: ${(error as Error).message}`);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

function readJson(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BadRequest(`request body is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new BadRequest("request body must be a JSON object");
  }
  if (nestsDeeperThan(text, maxBodyDepth)) {
    throw new BadRequest(`request body nests arrays and objects deeper than ${maxBodyDepth} levels`);
  }
  return parsed as Record<string, unknown>;
}

/** Whether a JSON text nests arrays and objects deeper than `limit`; brackets in strings do not count. */
function nestsDeeperThan(text: string, limit: number): boolean {
  // Each level takes two characters at least.
  if (text.length <= 2 * limit) return false;
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c) index++; // a backslash: the next character is escaped
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x5b || code === 0x7b) {
      if (++depth > limit) return true;
    } else if (code === 0x5d || code === 0x7d) depth--;
  }
  return false;
}
