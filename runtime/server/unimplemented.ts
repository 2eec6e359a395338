// The answer to an RPC for a service or method this server does not have, in the caller's
// protocol: gRPC and gRPC-Web get status 12 (UNIMPLEMENTED) in trailers, Connect gets
// `unimplemented`. Without it such calls fell through to the HTTP 404 of the health app,
// which gRPC clients report as "server closed the stream without sending trailers".

/** gRPC's status code for UNIMPLEMENTED. */
const grpcUnimplemented = "12";
/** gRPC-Web marks the trailer frame with the high bit of the envelope's flags. */
const grpcWebTrailerFlag = 0x80;
/** Connect marks the end-of-stream message with bit 1 of the envelope's flags. */
const connectEndStreamFlag = 0x02;

export interface RpcAnswer {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  /** HTTP trailers (plain gRPC only). */
  trailers?: Record<string, string>;
}

/** "/package.Service/Method" → its service and method; undefined for any other path. */
export function rpcPath(path: string): { service: string; method: string } | undefined {
  const match = /^\/([A-Za-z_][\w.]*)\/([A-Za-z_]\w*)$/.exec(path);
  return match ? { service: match[1]!, method: match[2]! } : undefined;
}

/** grpc-go's wording, so that messages read the same whichever server answers. */
export function unimplementedMessage(service: string, method: string, knownServices: ReadonlySet<string>): string {
  return knownServices.has(service) ? `unknown method ${method} for service ${service}` : `unknown service ${service}`;
}

/**
 * The answer for a POST to an RPC path no handler serves, or undefined when the request is
 * not an RPC (no gRPC, gRPC-Web or Connect content type), so that the caller can go on.
 */
export function unimplementedAnswer(
  method: string,
  path: string,
  contentType: string | undefined,
  knownServices: ReadonlySet<string>,
): RpcAnswer | undefined {
  const rpc = rpcPath(path);
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (!rpc || method !== "POST") return undefined;
  const message = unimplementedMessage(rpc.service, rpc.method, knownServices);
  const encoder = new TextEncoder();
  if (type.startsWith("application/grpc-web")) {
    const trailer = encoder.encode(
      `grpc-status: ${grpcUnimplemented}\r\ngrpc-message: ${encodeURIComponent(message)}\r\n`,
    );
    const frame = envelope(grpcWebTrailerFlag, trailer);
    const text = type.startsWith("application/grpc-web-text");
    return {
      status: 200,
      headers: { "content-type": type },
      body: text ? encoder.encode(btoa(String.fromCharCode(...frame))) : frame,
    };
  }
  if (type.startsWith("application/grpc")) {
    return {
      status: 200,
      headers: { "content-type": type },
      body: new Uint8Array(0),
      trailers: { "grpc-status": grpcUnimplemented, "grpc-message": encodeURIComponent(message) },
    };
  }
  const error = { code: "unimplemented", message };
  if (type === "application/connect+json" || type === "application/connect+proto") {
    return {
      status: 200,
      headers: { "content-type": type },
      body: envelope(connectEndStreamFlag, encoder.encode(JSON.stringify({ error }))),
    };
  }
  if (type === "application/json" || type === "application/proto") {
    return {
      status: 404,
      headers: { "content-type": "application/json" },
      body: encoder.encode(JSON.stringify(error)),
    };
  }
  return undefined;
}

function envelope(flags: number, data: Uint8Array): Uint8Array {
  const frame = new Uint8Array(5 + data.byteLength);
  frame[0] = flags;
  new DataView(frame.buffer).setUint32(1, data.byteLength);
  frame.set(data, 5);
  return frame;
}

/** The answer as a fetch Response (Deno): trailers, which fetch cannot send, go in the headers (a trailers-only response). */
export function answerAsResponse(answer: RpcAnswer): Response {
  return new Response(answer.body.byteLength ? (answer.body as Uint8Array<ArrayBuffer>) : null, {
    status: answer.status,
    headers: { ...answer.headers, ...answer.trailers },
  });
}
