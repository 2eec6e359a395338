// Sends one HttpAction's request with the platform's fetch (Node, Deno and Bun all have it):
// the action id as its Idempotency-Key, a deadline over the whole exchange, redirects not
// followed, and the response body kept within a byte budget (its first bytes). It never
// throws: every way a request can end is in the outcome.
import type { ActionResult, HttpRequest } from "../controller.ts";
import { isForbidden, isNotFound, type KubeClient } from "../kube/client.ts";
import { builtinKinds } from "../kube/kinds.ts";
import type { KubeObject } from "../kube/objects.ts";

/** Bytes kept of a response body (the first ones). */
export const defaultMaxBodyBytes = 65_536;

export interface HttpSend {
  request: HttpRequest;
  /** Sent as the Idempotency-Key header: the action's id. */
  idempotencyKey: string;
  /** Headers read from the request's Secret; they win over `request.headers`. */
  secretHeaders?: Record<string, string>;
  timeoutMs: number;
  maxBodyBytes?: number;
  /** Aborted when the runner stops (leadership lost, shutdown). */
  signal?: AbortSignal;
}

/** How a request ended: the part of an action's result (controller.ts) that the exchange decides. */
export type HttpOutcome = Pick<ActionResult, "statusCode" | "body" | "truncated" | "timedOut" | "error">;

export type HttpSender = (send: HttpSend) => Promise<HttpOutcome>;

/** The method a request is sent with: as given, else POST with a body and GET without. */
export function methodOf(request: HttpRequest): string {
  return request.method ?? (request.body === undefined ? "GET" : "POST");
}

/** The headers and body a request goes out with. */
export function encodeRequest(send: Pick<HttpSend, "request" | "idempotencyKey" | "secretHeaders">): {
  headers: Headers;
  body: string | undefined;
} {
  const headers = new Headers();
  for (const [name, value] of Object.entries(send.request.headers ?? {})) headers.set(name, value);
  for (const [name, value] of Object.entries(send.secretHeaders ?? {})) headers.set(name, value);
  headers.set("idempotency-key", send.idempotencyKey);
  const given = send.request.body;
  if (given === undefined) return { headers, body: undefined };
  if (typeof given === "string") return { headers, body: given };
  if (!headers.has("content-type")) headers.set("content-type", "application/json");
  return { headers, body: JSON.stringify(given) };
}

export const sendHttp: HttpSender = async (send) => {
  const deadline = AbortSignal.timeout(send.timeoutMs);
  const signal = send.signal ? AbortSignal.any([deadline, send.signal]) : deadline;
  const { headers, body } = encodeRequest(send);
  try {
    const response = await fetch(send.request.url, {
      method: methodOf(send.request),
      headers,
      body,
      redirect: "manual",
      signal,
    });
    const kept = await firstBytes(response, send.maxBodyBytes ?? defaultMaxBodyBytes);
    return { statusCode: response.status, body: kept.text, truncated: kept.truncated, timedOut: false };
  } catch (error) {
    const empty = { body: "", truncated: false };
    if (deadline.aborted) {
      return { ...empty, timedOut: true, error: `timed out after ${send.timeoutMs / 1000} s` };
    }
    if (send.signal?.aborted) return { ...empty, timedOut: false, error: "abandoned: the runner stopped" };
    return { ...empty, timedOut: false, error: describeFetchError(error) };
  }
};

/** The body's first `max` bytes as text, and whether there was more (the rest is not read). */
async function firstBytes(response: Response, max: number): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: "", truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = max - size;
    chunks.push(value.length > room ? value.subarray(0, room) : value);
    size += Math.min(value.length, room);
    if (value.length > room) {
      truncated = true;
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return { text: new TextDecoder().decode(bytes), truncated };
}

/** "fetch failed: connect ECONNREFUSED 127.0.0.1:9": the platform's message and its cause's. */
export function describeFetchError(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  const cause = (error as { cause?: { message?: string; code?: string } })?.cause;
  const detail = cause?.message ?? cause?.code;
  return detail && !message.includes(detail) ? `${message}: ${detail}` : message;
}

/**
 * Reads a Secret's keys and values as headers (HttpRequest.headersFromSecret). Its errors say
 * what to fix: a missing Secret, or access the controller did not declare.
 */
export function secretHeaderReader(
  client: KubeClient,
  controller: string,
): (namespace: string, name: string) => Promise<Record<string, string>> {
  return async (namespace, name) => {
    let secret: KubeObject & { data?: Record<string, string> };
    try {
      secret = await client.get(builtinKinds.Secret, namespace, name);
    } catch (error) {
      if (isNotFound(error)) throw new Error(`no Secret ${name} in namespace ${namespace}`);
      if (isForbidden(error)) {
        throw new Error(
          `forbidden: give controller ${controller} effects: { httpSecrets: true } so its ClusterRole may get Secrets`,
        );
      }
      throw error;
    }
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(secret.data ?? {})) {
      const text = new TextDecoder().decode(Uint8Array.from(atob(value), (c) => c.charCodeAt(0)));
      if (/[\r\n\0]/.test(text)) throw new Error(`key ${key} holds a line break, which no header value may`);
      headers[key] = text;
    }
    return headers;
  };
}
