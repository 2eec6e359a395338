// Deno: Deno.serve with Connect's universal handlers behind the fetch API. Connect and
// gRPC-Web work; plain gRPC needs HTTP trailers, which the fetch API does not have. With TLS,
// a changed certificate starts a second listener on the same port (SO_REUSEPORT) with the
// new pair and shuts the first down once its open requests are done.
import { createConnectRouter } from "@connectrpc/connect";
import { createFetchHandler } from "@connectrpc/connect/protocol";
import { allRoutes, routerOptions, serviceNames } from "./routes.ts";
import type { RunningServer, ServeOptions } from "./server.ts";
import { watchKeyPair, type KeyPair } from "./tls.ts";
import { answerAsResponse, unimplementedAnswer } from "./unimplemented.ts";

interface DenoServer {
  finished: Promise<void>;
  shutdown(): Promise<void>;
  addr: { port: number };
}

interface DenoServeOptions {
  port: number;
  hostname: string;
  reusePort?: boolean;
  cert?: string;
  key?: string;
  onListen?: () => void;
  onError?: (error: unknown) => Response;
}

interface DenoNamespace {
  serve(options: DenoServeOptions, handler: (request: Request) => Response | Promise<Response>): DenoServer;
}

export async function serveDeno(options: ServeOptions): Promise<RunningServer> {
  const deno = (globalThis as unknown as { Deno: DenoNamespace }).Deno;
  const { log, limits } = options;
  const router = createConnectRouter(routerOptions(options, limits.maxMessageBytes));
  allRoutes(options)(router);
  const handlers = new Map(router.handlers.map((handler) => [handler.requestPath, createFetchHandler(handler)]));
  const known = serviceNames(router);
  const handle = (request: Request) => {
    const path = new URL(request.url).pathname;
    const rpc = handlers.get(path);
    if (rpc) return rpc(request);
    const answer = unimplementedAnswer(request.method, path, request.headers.get("content-type") ?? undefined, known);
    return answer ? answerAsResponse(answer) : options.app.fetch(request);
  };
  const start = (port: number, pair?: KeyPair) =>
    deno.serve(
      {
        port,
        hostname: options.host,
        onListen: () => undefined,
        onError: (error) => {
          log.warn("request failed", { error: (error as Error).message });
          return new Response("internal error", { status: 500 });
        },
        ...(pair ? { cert: pair.cert, key: pair.key, reusePort: true } : {}),
      },
      handle,
    );

  let server: DenoServer;
  let stopWatching = () => {};
  if (options.tls) {
    let port = options.port;
    const watcher = watchKeyPair(options.tls, log, (pair) => {
      const previous = server;
      server = start(port, pair);
      void previous.shutdown();
    });
    server = start(port, watcher.initial);
    port = server.addr.port;
    stopWatching = watcher.stop;
  } else {
    server = start(options.port);
  }
  const protocols = options.tls ? "gRPC-Web, Connect, HTTP/1.1 and HTTP/2 over TLS" : "gRPC-Web, Connect, HTTP/1.1";
  log.info("serving", { host: options.host, port: server.addr.port, protocols, maxMessageBytes: limits.maxMessageBytes });
  return {
    port: server.addr.port,
    async close() {
      stopWatching();
      await server.shutdown();
    },
  };
}
