// The direct path for the commonest call on the port: a gRPC unary call over HTTP/2 with a
// binary protobuf message. It reads and answers the HTTP/2 stream itself, without Node's
// request/response compatibility objects and Connect's streaming pipeline, which cost most of
// a small call's time. The call itself goes through Connect's own pieces, as on the normal
// path: the handler context, the request gate (authentication), the interceptors
// (authorization, logging), compression and the status trailers, so a caller cannot tell
// which path served it. Every other request (other protocols and content types, streaming
// methods, services registered with their own options) takes the normal path.
import { constants, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import type { DescMethod, DescMethodUnary, DescService } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  createHandlerContext,
  createMethodImplSpec,
  createServiceImplSpec,
  type HandlerContext,
  type MethodImplSpec,
} from "@connectrpc/connect";
import {
  compressionNegotiate,
  createMethodSerializationLookup,
  encodeEnvelope,
  envelopeCompress,
  envelopeDecompress,
  invokeUnaryImplementation,
  type MethodSerializationLookup,
  type UniversalHandlerOptions,
  validateUniversalHandlerOptions,
} from "@connectrpc/connect/protocol";
import {
  contentTypeProto,
  grpcStatusOk,
  headerAcceptEncoding,
  headerEncoding,
  headerGrpcStatus,
  headerTimeout,
  parseTimeout,
  setTrailerStatus,
} from "@connectrpc/connect/protocol-grpc";
import type { Logger } from "../log.ts";

type UnarySpec = MethodImplSpec & { kind: "unary" };
interface Route {
  spec: UnarySpec;
  serialization: MethodSerializationLookup<DescMethodUnary["input"], DescMethodUnary["output"]>;
}

/** The reason a call's signal aborts with once the call is answered (Connect's is an AbortError too). */
const answered = new DOMException("the call was answered", "AbortError");
const callerGone = () => new ConnectError("the caller closed the stream", Code.Canceled);
/** Content types of a binary gRPC request (the same as "application/grpc+proto"). */
const grpcBinary = new Set(["application/grpc", "application/grpc+proto"]);

export class DirectGrpc {
  readonly #routes = new Map<string, Route>();
  readonly #options: ReturnType<typeof validateUniversalHandlerOptions>;
  readonly #scheme: string;
  readonly #log: Logger;

  /** `options`: the router's own (limits, request gate, interceptors, compression). */
  constructor(options: Partial<UniversalHandlerOptions>, secure: boolean, log: Logger) {
    this.#options = validateUniversalHandlerOptions(options);
    this.#scheme = secure ? "https" : "http";
    this.#log = log;
  }

  /** A router that registers with `router` and also records each unary method for this path. */
  recording(router: ConnectRouter): ConnectRouter {
    const recorder: ConnectRouter = {
      get handlers() {
        return router.handlers;
      },
      service: (service, implementation, options) => {
        router.service(service, implementation, options);
        if (options === undefined) this.#recordService(service, implementation);
        return recorder;
      },
      rpc: (method, implementation, options) => {
        router.rpc(method, implementation, options);
        if (options === undefined) {
          this.#record(createMethodImplSpec(method, implementation as never) as MethodImplSpec);
        }
        return recorder;
      },
    };
    return recorder;
  }

  /** Serves `stream` if it is a binary gRPC call to a unary method; false leaves it to the normal path. */
  take(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): boolean {
    if (
      headers[":method"] !== "POST" || headers.expect !== undefined || !grpcBinary.has(headers["content-type"] ?? "")
    ) return false;
    const path = headers[":path"] ?? "";
    const route = this.#routes.get(path);
    if (!route) return false;
    // A stream reset with an error code (by either side) emits "error"; it ends this call only.
    stream.on("error", (error) => this.#log.debug("gRPC stream error", { path, error: error.message }));
    this.#serve(stream, headers, path, route).catch((error: unknown) => this.#broken(stream, path, error));
    return true;
  }

  /** A failure to write the answer (a header value Node refuses, say) resets the stream, never the process. */
  #broken(stream: ServerHttp2Stream, path: string, error: unknown): void {
    this.#log.warn("could not answer a gRPC call", { path, error: (error as Error).message });
    if (!stream.closed) stream.close(constants.NGHTTP2_INTERNAL_ERROR);
  }

  #recordService(service: DescService, implementation: object): void {
    const spec = createServiceImplSpec(service, implementation as never);
    for (const method of service.methods) this.#record(spec.methods[method.localName] as MethodImplSpec);
  }

  #record(spec: MethodImplSpec): void {
    if (spec.kind !== "unary") return;
    const method: DescMethod = spec.method;
    const serialization = createMethodSerializationLookup(
      spec.method,
      this.#options.binaryOptions,
      this.#options.jsonOptions,
      this.#options,
    );
    this.#routes.set(`/${method.parent.typeName}/${method.name}`, { spec, serialization });
  }

  async #serve(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, path: string, route: Route): Promise<void> {
    const options = this.#options;
    const requestHeader = new Headers();
    for (const name in headers) {
      if (name.charCodeAt(0) === 58 /* ":" */) continue;
      const value = headers[name];
      if (typeof value === "string") requestHeader.set(name, value);
      else if (Array.isArray(value)) { for (const one of value) requestHeader.append(name, one); }
    }
    // The caller may go away (RST_STREAM, a lost connection) before the answer: that aborts the call.
    const gone = new AbortController();
    let done = false;
    stream.once("close", () => {
      if (!done) gone.abort(callerGone());
    });
    const timeout = parseTimeout(requestHeader.get(headerTimeout), options.maxTimeoutMs);
    const context = createHandlerContext({
      service: route.spec.method.parent,
      method: route.spec.method,
      protocolName: "grpc",
      requestMethod: "POST",
      url: `${this.#scheme}://${headers[":authority"] ?? headers.host ?? "localhost"}${path}`,
      ...(timeout.timeoutMs !== undefined ? { timeoutMs: timeout.timeoutMs } : {}),
      ...(options.shutdownSignal ? { shutdownSignal: options.shutdownSignal } : {}),
      requestSignal: gone.signal,
      requestHeader,
      responseHeader: { "content-type": contentTypeProto },
      responseTrailer: { [headerGrpcStatus]: grpcStatusOk },
    });
    const compression = compressionNegotiate(
      options.acceptCompression,
      requestHeader.get(headerEncoding),
      requestHeader.get(headerAcceptEncoding),
      headerAcceptEncoding,
    );
    if (compression.response) context.responseHeader.set(headerEncoding, compression.response.name);
    let body: Uint8Array | undefined;
    try {
      // In Connect's order: the gate sees the call before its body is read.
      await options.requestGate?.(context);
      if (compression.error) throw compression.error;
      if (timeout.error) throw timeout.error;
      const envelope = await envelopeDecompress(
        await readOneEnvelope(stream, options.readMaxBytes),
        compression.request,
        options.readMaxBytes,
      );
      const input = route.serialization.getI(true).parse(envelope.data);
      const output = await invokeUnaryImplementation(route.spec, context, input, options.interceptors);
      const data = route.serialization.getO(true).serialize(output);
      const out = await envelopeCompress({ flags: 0, data }, compression.response, options.compressMinBytes);
      body = encodeEnvelope(out.flags, out.data);
      context.abort(answered);
    } catch (error) {
      // Aborting first lets the gate's listeners see the error (malformed-requests.ts).
      context.abort(error);
      setTrailerStatus(
        context.responseTrailer,
        error instanceof ConnectError
          ? error
          : new ConnectError("internal error", Code.Internal, undefined, undefined, error),
      );
    }
    done = true;
    answer(stream, context, body, (error) => this.#broken(stream, path, error));
  }
}

/** Writes the headers, the message (if any) and the status trailers; stops the request's upload if unread. */
function answer(
  stream: ServerHttp2Stream,
  context: HandlerContext,
  body: Uint8Array | undefined,
  broken: (error: unknown) => void,
): void {
  if (stream.destroyed || stream.closed) return;
  const headers: Record<string, string | number> = { ":status": 200 };
  context.responseHeader.forEach((value, name) => (headers[name] = value));
  stream.once("wantTrailers", () => {
    const trailers: Record<string, string> = {};
    context.responseTrailer.forEach((value, name) => (trailers[name] = value));
    try {
      stream.sendTrailers(trailers);
    } catch (error) {
      return broken(error);
    }
    // An answer given before the request was read (a refusal, an oversized message) ends the
    // exchange: the caller is told to stop sending, without an error (RFC 9113, section 8.1).
    if (!stream.readableEnded) setImmediate(() => stream.close(constants.NGHTTP2_NO_ERROR));
  });
  stream.respond(headers, { waitForTrailers: true });
  stream.end(body);
}

/**
 * Reads the request body as one gRPC envelope (a flags byte, a 4-byte length, the message).
 * A declared length over `readMaxBytes` fails as soon as the prefix is in, unread; Connect's
 * errors and codes for a missing, extra or cut-short message are kept.
 */
function readOneEnvelope(
  stream: ServerHttp2Stream,
  readMaxBytes: number,
): Promise<{ flags: number; data: Uint8Array }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let declared: number | undefined;
    const fail = (error: ConnectError) => {
      stream.off("data", onData).off("end", onEnd).off("close", onClose);
      stream.pause();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.byteLength;
      if (declared === undefined && received >= 5) {
        const head = chunks.length === 1 ? chunk : Buffer.concat(chunks);
        declared = head.readUInt32BE(1);
        if (declared > readMaxBytes) {
          fail(
            new ConnectError(
              `message size ${declared} is larger than configured readMaxBytes ${readMaxBytes}`,
              Code.ResourceExhausted,
            ),
          );
        }
      }
    };
    const onEnd = () => {
      stream.off("data", onData).off("close", onClose);
      if (received === 0) {
        return reject(new ConnectError("protocol error: missing input message for unary method", Code.Unimplemented));
      }
      const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
      if (declared === undefined || received < 5 + declared) {
        return reject(new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument));
      }
      const rest = received - 5 - declared;
      if (rest > 0) {
        const extra = rest >= 5 && rest >= 5 + all.readUInt32BE(5 + declared + 1);
        return reject(
          extra
            ? new ConnectError("protocol error: received extra input message for unary method", Code.Unimplemented)
            : new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument),
        );
      }
      resolve({ flags: all[0]!, data: all.subarray(5) });
    };
    const onClose = () => fail(callerGone());
    // Node ends a stream that nobody read and that brought no data (END_STREAM at once).
    if (stream.readableEnded) return onEnd();
    if (stream.destroyed) return onClose();
    stream.on("data", onData).once("end", onEnd).once("close", onClose);
  });
}
