// Deno: Deno.serve with Connect's universal handlers behind the fetch API. Connect and
// gRPC-Web work; plain gRPC needs HTTP trailers, which the fetch API does not have.
import { createConnectRouter } from "@connectrpc/connect";
import { createFetchHandler } from "@connectrpc/connect/protocol";
import type { RunningServer, ServeOptions } from "./server.ts";

interface DenoServer {
  finished: Promise<void>;
  shutdown(): Promise<void>;
  addr: { port: number };
}

interface DenoNamespace {
  serve(
    options: { port: number; hostname: string; onListen?: () => void; onError?: (error: unknown) => Response },
    handler: (request: Request) => Response | Promise<Response>,
  ): DenoServer;
}

export async function serveDeno(options: ServeOptions): Promise<RunningServer> {
  const deno = (globalThis as unknown as { Deno: DenoNamespace }).Deno;
  const router = createConnectRouter(options.registry ? { jsonOptions: { registry: options.registry } } : {});
  options.routes(router);
  const handlers = new Map(router.handlers.map((handler) => [handler.requestPath, createFetchHandler(handler)]));
  const server = deno.serve(
    {
      port: options.port,
      hostname: options.host,
      onListen: () => undefined,
      onError: (error) => {
        options.log.warn("request failed", { error: (error as Error).message });
        return new Response("internal error", { status: 500 });
      },
    },
    (request) => {
      const rpc = handlers.get(new URL(request.url).pathname);
      return rpc ? rpc(request) : options.app.fetch(request);
    },
  );
  options.log.info("serving", { host: options.host, port: server.addr.port, protocols: "gRPC-Web, Connect, HTTP/1.1 and HTTP/2" });
  return {
    port: server.addr.port,
    async close() {
      await server.shutdown();
    },
  };
}
