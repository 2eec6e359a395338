// Deno: Deno.serve with Connect's universal handlers behind the fetch API. Connect and
// gRPC-Web work; plain gRPC needs HTTP trailers, which the fetch API does not have. With TLS,
// Deno.serve cannot change its certificate (and SO_REUSEPORT with TLS is an unstable API), so
// a changed pair shuts the listener down, letting open requests finish, and listens again on
// the same port with the new pair: new connections are refused for the few milliseconds the
// port takes to come free.
import { createConnectRouter } from "@connectrpc/connect";
import { createFetchHandler } from "@connectrpc/connect/protocol";
import { allRoutes, routerOptions, serviceNames } from "./routes.ts";
import type { RunningServer, ServeOptions } from "./options.ts";
import { type KeyPair, watchKeyPair } from "./tls.ts";
import { answerAsResponse, unimplementedAnswer } from "./unimplemented.ts";

/** How often, and how far apart, a TLS reload tries to listen again while the old listener lets go of the port. */
const rebindAttempts = 100;
const rebindRetryMs = 10;

interface DenoServer {
  finished: Promise<void>;
  shutdown(): Promise<void>;
  addr: { port: number };
}

interface DenoServeOptions {
  port: number;
  hostname: string;
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
        ...(pair ? { cert: pair.cert, key: pair.key } : {}),
      },
      handle,
    );

  let server: DenoServer;
  let stopWatching = () => {};
  const draining: Array<Promise<void>> = [];
  if (options.tls) {
    let port = options.port;
    let restarting = Promise.resolve();
    const restart = async (pair: KeyPair) => {
      draining.push(server.shutdown());
      for (let attempt = 1;; attempt++) {
        try {
          server = start(port, pair);
          return;
        } catch (error) {
          if ((error as Error).name !== "AddrInUse" || attempt >= rebindAttempts) throw error;
          await new Promise((resolve) => setTimeout(resolve, rebindRetryMs));
        }
      }
    };
    const watcher = watchKeyPair(options.tls, log, (pair) => {
      restarting = restarting.then(() => restart(pair)).catch((error) =>
        log.error("could not listen again with the new TLS certificate", { error: (error as Error).message })
      );
    });
    server = start(port, watcher.initial);
    port = server.addr.port;
    stopWatching = watcher.stop;
  } else {
    server = start(options.port);
  }
  const protocols = options.tls ? "gRPC-Web, Connect, HTTP/1.1 and HTTP/2 over TLS" : "gRPC-Web, Connect, HTTP/1.1";
  log.info("serving", {
    host: options.host,
    port: server.addr.port,
    protocols,
    maxMessageBytes: limits.maxMessageBytes,
  });
  return {
    port: server.addr.port,
    async close() {
      stopWatching();
      await Promise.all([server.shutdown(), ...draining]);
    },
  };
}
