// The hook server on node:http: each hook request is served straight from Node's request and
// response (serveHook() in handler.ts, the same checks and answers), and everything else
// (health, metrics, 4xx for what no hook serves) goes to the Hono app. Converting every request
// and response between Node's objects and web-standard ones costs a hook request about 40 % of
// its time on Node (bench/hooks.ts), which is why hook requests skip it.
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { getRequestListener } from "@hono/node-server";
import type { Hono } from "hono";
import type { ControllerDefinition } from "../controller.ts";
import { BadRequest, type WebhookName, webhookNames } from "../webhook/wire.ts";
import { type HookAnswer, hookFailure, type HookMeter, serveHook, TooLarge } from "./handler.ts";

/** The headers a trace continues from (W3C trace context and baggage), as serveHook() reads them. */
const traceHeaders = ["traceparent", "tracestate", "baggage"];

/**
 * A node:http request listener for the hook server: POST /<controller>/<hook> (and /<hook> with
 * one controller) served directly, any other request by `app`, which must serve the same
 * definitions (hookHandler() or hookApp() of them, with the same metrics).
 */
export function nodeHookListener(
  definitions: readonly ControllerDefinition<any>[],
  app: Hono,
  options: { maxBodyBytes: number; metrics?: HookMeter | undefined },
): RequestListener {
  const fallback = getRequestListener(app.fetch);
  const routes = new Map<string, { hook: WebhookName; definition: ControllerDefinition<any> }>();
  for (const definition of definitions) {
    for (const hook of webhookNames) routes.set(`/${definition.name}/${hook}`, { hook, definition });
  }
  if (definitions.length === 1) {
    for (const hook of webhookNames) routes.set(`/${hook}`, { hook, definition: definitions[0]! });
  }
  return (request, response) => {
    const url = request.url ?? "/";
    const query = url.indexOf("?");
    const path = query === -1 ? url : url.slice(0, query);
    const route = request.method === "POST" ? routes.get(path) : undefined;
    if (!route) {
      void fallback(request, response);
      return;
    }
    const headers = new Headers();
    for (const name of traceHeaders) {
      const value = request.headers[name];
      if (typeof value === "string") headers.set(name, value);
    }
    void serveHook(route.hook, route.definition, {
      headers,
      path,
      read: () => readBody(request, options.maxBodyBytes),
    }, options).then((answered) => write(request, response, answered));
  };
}

/**
 * The body as text (UTF-8, malformed bytes replaced as TextDecoder does), counted as it arrives:
 * TooLarge unread when content-length is over the limit, and as soon as what arrived is;
 * BadRequest when the caller's connection fails or closes before the body ends.
 */
function readBody(request: IncomingMessage, maxBodyBytes: number): Promise<string> {
  const declared = request.headers["content-length"]?.trim();
  if (declared && /^\d+$/.test(declared) && Number(declared) > maxBodyBytes) return Promise.reject(new TooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (error?: Error) => {
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", onError);
      request.off("close", onClose);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks, size).toString("utf8"));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > maxBodyBytes) settle(new TooLarge());
      else chunks.push(chunk);
    };
    const onEnd = () => settle();
    const onError = (error: Error) => settle(new BadRequest(`request body could not be read: ${error.message}`));
    const onClose = () => {
      if (!request.complete) {
        settle(new BadRequest("request body could not be read: the connection closed before it ended"));
      }
    };
    request.on("data", onData);
    request.on("end", onEnd);
    request.on("error", onError);
    request.on("close", onClose);
  });
}

function write(request: IncomingMessage, response: ServerResponse, answered: HookAnswer): void {
  if (response.destroyed) return;
  let text: string;
  try {
    text = JSON.stringify(answered.body);
  } catch (error) {
    // What the Hono app answers for a body it cannot encode.
    answered = hookFailure(500, `internal error: ${(error as Error).message}`);
    text = JSON.stringify(answered.body);
  }
  const headers: Record<string, string | number> = {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  };
  // A body not read to its end (too large, or failed) leaves the connection unusable: close it.
  if (!request.complete) headers.connection = "close";
  response.writeHead(answered.status, headers);
  response.end(text);
}
