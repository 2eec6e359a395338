// What every server adapter needs: the RPC routes and their options, the Hono app, the
// limits and the optional TLS files, and a handle to stop it.
import type { Hono } from "hono";
import type { Logger } from "../log.ts";
import type { ServerLimits } from "./limits.ts";
import type { RpcOptions } from "./routes.ts";
import type { TlsFiles } from "./tls.ts";

export interface ServeOptions extends RpcOptions {
  host: string;
  port: number;
  app: Hono;
  log: Logger;
  limits: ServerLimits;
  /** Serve TLS (HTTP/2 by ALPN, and HTTP/1.1) instead of cleartext. */
  tls?: TlsFiles | undefined;
}

export interface RunningServer {
  /** The bound port (useful with port 0). */
  port: number;
  close(): Promise<void>;
}
