// Node: gRPC (h2c or h2), gRPC-Web and Connect for the RPC paths, the Hono app for the rest,
// on one port (node-listener.ts tells HTTP/1.1 from HTTP/2). The HTTP servers bound request
// headers and concurrent streams; an RPC path no service serves gets UNIMPLEMENTED in the
// caller's protocol. gRPC unary calls over HTTP/2 take a direct path (grpc-direct.ts).
import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttp2Server, type Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { ConnectRouter } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, connectNodeAdapter } from "@connectrpc/connect-node";
import { getRequestListener } from "@hono/node-server";
import { maxHeaderPairs } from "./limits.ts";
import { DirectGrpc } from "./grpc-direct.ts";
import { listen } from "./node-listener.ts";
import { allRoutes, routerOptions, serviceNames } from "./routes.ts";
import type { RunningServer, ServeOptions } from "./options.ts";
import { type RpcAnswer, unimplementedAnswer } from "./unimplemented.ts";

type NodeRequest = IncomingMessage | Http2ServerRequest;
type NodeResponse = ServerResponse | Http2ServerResponse;

export async function serveNode(options: ServeOptions): Promise<RunningServer> {
  const { log, limits } = options;
  const app = getRequestListener(options.app.fetch);
  let router: ConnectRouter | undefined;
  const routes = allRoutes(options);
  const fallback = (request: NodeRequest, response: NodeResponse) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const answer = router &&
      unimplementedAnswer(request.method ?? "", path, request.headers["content-type"], serviceNames(router));
    if (answer) writeAnswer(response, answer);
    else void app(request as IncomingMessage, response as ServerResponse);
  };
  // Connect's default compressions, named here so that both paths accept the same.
  const rpcOptions = {
    ...routerOptions(options, limits.maxMessageBytes),
    acceptCompression: [compressionGzip, compressionBrotli],
  };
  const direct = new DirectGrpc(rpcOptions, options.tls !== undefined, log);
  const handler = connectNodeAdapter({
    ...rpcOptions,
    routes: (connectRouter) => {
      router = connectRouter;
      routes(direct.recording(connectRouter));
    },
    fallback: fallback as (request: NodeRequest, response: unknown) => void,
  }) as (request: NodeRequest, response: NodeResponse) => void;

  const http1 = createHttp1Server(
    { maxHeaderSize: limits.maxHeaderBytes },
    (request, response) => handler(request, response),
  );
  // Bun's node:http2 cannot take over a connection handed to it (gRPC calls fail with framing
  // errors), so there HTTP/2 is refused from the start, and said so, rather than failing later.
  const onBun = "Bun" in globalThis;
  const http2 = createHttp2Server(
    {
      maxHeaderListPairs: maxHeaderPairs,
      settings: { maxConcurrentStreams: limits.maxConcurrentStreams, maxHeaderListSize: limits.maxHeaderBytes },
    },
    (request, response) => handler(request, response),
  );
  // Node's compatibility layer listens for "stream" once the server has a request listener; the
  // direct path sees each stream first and hands on the ones it does not serve.
  const compatibility = http2.listeners("stream") as Array<(...args: unknown[]) => void>;
  if (compatibility.length === 0) throw new Error("node:http2 did not set up its compatibility layer");
  http2.removeAllListeners("stream");
  http2.on("stream", (stream, headers, flags, rawHeaders) => {
    if (direct.take(stream, headers)) return;
    for (const listener of compatibility) listener.call(http2, stream, headers, flags, rawHeaders);
  });
  http1.on("clientError", (error, socket) => {
    log.debug("HTTP/1.1 client error", { error: error.message });
    // Answer what Node can name (431 headers too large, 400 bad request), then hang up.
    const code = (error as { code?: string }).code === "HPE_HEADER_OVERFLOW"
      ? "431 Request Header Fields Too Large"
      : "400 Bad Request";
    if (socket.writable) socket.end(`HTTP/1.1 ${code}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  });
  http2.on("sessionError", (error) => log.debug("HTTP/2 session error", { error: error.message }));
  http2.on(
    "session",
    (session) => session.on("error", (error) => log.debug("HTTP/2 session error", { error: error.message })),
  );

  const listener = await listen({
    host: options.host,
    port: options.port,
    tls: options.tls,
    http1,
    http2: onBun ? undefined : http2,
    log,
  });
  if (onBun) {
    log.warn("gRPC over HTTP/2 is not served on Bun: its node:http2 does not carry it; use gRPC-Web or Connect", {
      port: listener.port,
    });
  }
  const protocols = onBun
    ? `gRPC-Web, Connect, HTTP/1.1${options.tls ? " over TLS" : ""}`
    : options.tls
    ? "gRPC (h2), gRPC-Web, Connect, HTTP/1.1 over TLS"
    : "gRPC (h2c), gRPC-Web, Connect, HTTP/1.1";
  log.info("serving", { host: options.host, port: listener.port, protocols, maxMessageBytes: limits.maxMessageBytes });
  return listener;
}

function writeAnswer(response: NodeResponse, answer: RpcAnswer): void {
  if (response instanceof Http2ServerResponse) {
    response.writeHead(answer.status, answer.headers);
    if (answer.trailers) response.addTrailers(answer.trailers);
    response.end(answer.body);
    return;
  }
  // HTTP/1.1 has no gRPC; a trailers-only answer carries the status in the headers.
  response.writeHead(answer.status, { ...answer.headers, ...answer.trailers });
  response.end(answer.body);
}
