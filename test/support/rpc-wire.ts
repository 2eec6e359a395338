// Raw RPC calls for tests that send bodies no generated client would (random bytes, broken
// envelopes, oversized messages): one request in gRPC, gRPC-Web or Connect, over HTTP/1.1
// (fetch) or HTTP/2 (node:http2, h2c), and what came back: the HTTP status, the RPC code and
// message, and whether a response message arrived. Open-ended streams are read only up to
// their first message.
import { type ClientHttp2Session, connect as connectHttp2, constants } from "node:http2";

export type WireProtocol = "grpc" | "grpc-web" | "connect";

export interface WireAnswer {
  httpStatus: number;
  /** The RPC code: "ok", or Connect's name for the error ("invalid_argument", ...). */
  code: string;
  message: string;
  /** A response message arrived (streams are cut after it). */
  gotMessage: boolean;
}

export interface WireCall {
  protocol: WireProtocol;
  /** "/package.Service/Method". */
  path: string;
  body: Uint8Array;
  /** Whether the method is unary in Connect's sense (unenveloped body), for the Connect protocol. */
  unary: boolean;
  /** Connect only: send JSON instead of binary protobuf. */
  json?: boolean;
  /**
   * A server stream that may never end: cut (RST_STREAM CANCEL on HTTP/2) after its first
   * message. Other calls are read to their end, so that only these reset streams: nghttp2
   * closes a connection whose peer resets streams faster than its rapid-reset limit.
   */
  openEnded?: boolean;
  headers?: Record<string, string>;
}

/** gRPC's status numbers by Connect's code names. */
export const codeNames = [
  "ok",
  "canceled",
  "unknown",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal",
  "unavailable",
  "data_loss",
  "unauthenticated",
];

/** A 5-byte envelope prefix (flags, big-endian length) and the data. */
export function envelope(data: Uint8Array, flags = 0, length = data.byteLength): Uint8Array {
  const out = new Uint8Array(5 + data.byteLength);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, length);
  out.set(data, 5);
  return out;
}

/** The frames of an enveloped body: [flags, data][]. */
export function frames(body: Uint8Array): Array<[number, Uint8Array]> {
  const out: Array<[number, Uint8Array]> = [];
  for (let at = 0; at + 5 <= body.byteLength;) {
    const length = new DataView(body.buffer, body.byteOffset + at + 1, 4).getUint32(0);
    out.push([body[at]!, body.subarray(at + 5, at + 5 + length)]);
    at += 5 + length;
  }
  return out;
}

function statusFromHeaders(get: (name: string) => string | undefined): { code: string; message: string } | undefined {
  const status = get("grpc-status");
  if (status === undefined) return undefined;
  return {
    code: codeNames[Number(status)] ?? `status ${status}`,
    message: decodeURIComponent(get("grpc-message") ?? ""),
  };
}

export function contentTypeOf(call: WireCall): string {
  if (call.protocol === "grpc") return "application/grpc+proto";
  if (call.protocol === "grpc-web") return "application/grpc-web+proto";
  if (call.unary) return call.json ? "application/json" : "application/proto";
  return call.json ? "application/connect+json" : "application/connect+proto";
}

/** An enveloped answer that already holds a response message (streams are cut there). */
function hasMessage(call: WireCall, body: Uint8Array): boolean {
  return call.openEnded === true && frames(body).some(([flags]) => (flags & 0x82) === 0);
}

/** The answer, read from what came back in the call's protocol. */
function interpret(
  call: WireCall,
  httpStatus: number,
  header: (name: string) => string | undefined,
  body: Uint8Array,
  trailer: (name: string) => string | undefined,
): WireAnswer {
  const text = (data: Uint8Array) => new TextDecoder().decode(data);
  const answer = (status: { code: string; message: string }) => ({ httpStatus, ...status, gotMessage: false });
  if (call.protocol === "grpc") {
    return answer(
      statusFromHeaders(trailer) ?? statusFromHeaders(header) ??
        { code: `no grpc-status (HTTP ${httpStatus})`, message: "" },
    );
  }
  if (call.protocol === "grpc-web") {
    const frame = frames(body).find(([flags]) => flags & 0x80);
    const lines = frame ? text(frame[1]).split("\r\n").filter(Boolean) : [];
    const fields = new Map(
      lines.map((
        line,
      ) => [line.slice(0, line.indexOf(":")).trim().toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]),
    );
    return answer(
      statusFromHeaders((name) => fields.get(name) ?? header(name)) ??
        { code: `no grpc-status (HTTP ${httpStatus})`, message: text(body).slice(0, 200) },
    );
  }
  if (call.unary) {
    if (httpStatus === 200) return { httpStatus, code: "ok", message: "", gotMessage: true };
    const error = safeJson(text(body)) as { code?: string; message?: string } | undefined;
    return answer({ code: error?.code ?? `HTTP ${httpStatus}`, message: error?.message ?? text(body).slice(0, 200) });
  }
  const end = frames(body).find(([flags]) => flags & 0x02);
  const error = end
    ? (safeJson(text(end[1])) as { error?: { code: string; message?: string } } | undefined)?.error
    : undefined;
  return answer({
    code: error?.code ?? (end ? "ok" : `no end-stream (HTTP ${httpStatus})`),
    message: error?.message ?? "",
  });
}

/** One call over HTTP/1.1 (fetch): Connect or gRPC-Web. */
export async function callHttp1(base: string, call: WireCall, signal: AbortSignal): Promise<WireAnswer> {
  const headers = { "content-type": contentTypeOf(call), ...call.headers };
  const response = await fetch(base + call.path, {
    method: "POST",
    body: call.body as Uint8Array<ArrayBuffer>,
    headers,
    signal,
  });
  const reader = response.body!.getReader();
  let body: Uint8Array = new Uint8Array(0);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    body = concat(body, value);
    if (hasMessage(call, body)) {
      await reader.cancel();
      return { httpStatus: response.status, code: "ok", message: "", gotMessage: true };
    }
  }
  const header = (name: string) => response.headers.get(name) ?? undefined;
  return interpret(call, response.status, header, body, () => undefined);
}

/** One call on an HTTP/2 session (h2c), in any of the three protocols. */
export function callHttp2(session: ClientHttp2Session, call: WireCall, signal: AbortSignal): Promise<WireAnswer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      [constants.HTTP2_HEADER_METHOD]: "POST",
      [constants.HTTP2_HEADER_PATH]: call.path,
      "content-type": contentTypeOf(call),
      ...(call.protocol === "grpc" ? { te: "trailers" } : {}),
      ...call.headers,
    });
    let httpStatus = 0;
    let headers: Record<string, unknown> = {};
    let body: Uint8Array = new Uint8Array(0);
    const done = (answer: WireAnswer) => {
      signal.removeEventListener("abort", abort);
      if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
      resolve(answer);
    };
    const abort = () => {
      stream.close(constants.NGHTTP2_CANCEL);
      reject(new Error(`no answer to ${call.path} in time`));
    };
    signal.addEventListener("abort", abort, { once: true });
    const get = (fields: Record<string, unknown>) => (name: string) => fields[name] as string | undefined;
    stream.on("response", (fields) => {
      httpStatus = Number(fields[":status"]);
      headers = fields;
    });
    stream.on("data", (chunk: Buffer) => {
      body = concat(body, chunk);
      if (hasMessage(call, body)) done({ httpStatus, code: "ok", message: "", gotMessage: true });
    });
    let trailers: Record<string, unknown> = {};
    stream.on("trailers", (fields) => void (trailers = fields));
    stream.on("close", () => {
      const answer = interpret(call, httpStatus, get(headers), body, get(trailers));
      done(httpStatus ? answer : { ...answer, code: `closed without an answer (rst ${stream.rstCode})` });
    });
    stream.on("error", () => undefined);
    stream.end(call.body);
  });
}

export function openSession(authority: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connectHttp2(authority);
    session.once("connect", () => resolve(session));
    session.once("error", reject);
  });
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
