// What every server adapter needs: the RPC routes and the Hono app, and a handle to stop it.
import type { Registry } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import type { Hono } from "hono";
import type { Logger } from "../log.ts";

export interface ServeOptions {
  host: string;
  port: number;
  routes: (router: ConnectRouter) => void;
  /** Message types that may appear in google.protobuf.Any fields of JSON requests and responses. */
  registry?: Registry | undefined;
  app: Hono;
  log: Logger;
}

export interface RunningServer {
  /** The bound port (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

/** Picks the adapter for the runtime this process runs on. */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  if ("Deno" in globalThis) {
    const { serveDeno } = await import("./deno.ts");
    return serveDeno(options);
  }
  const { serveNode } = await import("./node.ts");
  return serveNode(options);
}
