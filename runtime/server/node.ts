// Node: one cleartext port for HTTP/1.1 and HTTP/2 (h2c with prior knowledge, as gRPC
// clients speak it). The first bytes of a connection tell which: HTTP/2 starts with the
// preface "PRI * HTTP/2.0". RPC paths go to Connect (gRPC, gRPC-Web, Connect JSON); the
// rest goes to the Hono app.
import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttp2Server, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import { createServer as createNetServer, type AddressInfo, type Socket } from "node:net";
import { Duplex } from "node:stream";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { getRequestListener } from "@hono/node-server";
import type { RunningServer, ServeOptions } from "./server.ts";

const http2Preface = Buffer.from("PRI * HTTP/2.0");

export async function serveNode(options: ServeOptions): Promise<RunningServer> {
  const { log } = options;
  const fallback = getRequestListener(options.app.fetch);
  const handler = connectNodeAdapter({
    routes: options.routes,
    ...(options.registry ? { jsonOptions: { registry: options.registry } } : {}),
    fallback: (request, response) => void fallback(request as IncomingMessage, response as ServerResponse),
  }) as (request: IncomingMessage | Http2ServerRequest, response: ServerResponse | Http2ServerResponse) => void;

  const http1 = createHttp1Server((request, response) => handler(request, response));
  const http2 = createHttp2Server((request, response) => handler(request, response));
  http1.on("clientError", (error, socket) => {
    log.debug("HTTP/1.1 client error", { error: error.message });
    socket.destroy();
  });
  http2.on("sessionError", (error) => log.debug("HTTP/2 session error", { error: error.message }));
  http2.on("session", (session) => session.on("error", (error) => log.debug("HTTP/2 session error", { error: error.message })));

  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", (error) => log.debug("connection error", { error: error.message }));
    let seen = Buffer.alloc(0);
    const route = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const compared = Math.min(seen.length, http2Preface.length);
      const looksLikeHttp2 = seen.subarray(0, compared).equals(http2Preface.subarray(0, compared));
      if (looksLikeHttp2 && seen.length < http2Preface.length) return; // wait for the rest of the preface
      socket.off("data", route);
      socket.pause();
      if (looksLikeHttp2) {
        // The native HTTP/2 session reads the socket's handle directly and would never see
        // bytes handed back with unshift(); give it a stream that replays them first.
        http2.emit("connection", replaying(socket, seen));
      } else {
        socket.unshift(seen);
        http1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", route);
  });
  server.on("error", (error) => log.error("server error", { error: error.message }));

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info("serving", { host: options.host, port, protocols: "gRPC (h2c), gRPC-Web, Connect, HTTP/1.1" });
  return {
    port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      http1.close();
      http2.close();
    },
  };
}

/** A duplex over the socket that first yields the bytes already read from it. */
function replaying(socket: Socket, consumed: Buffer): Duplex {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk, encoding, callback) {
      socket.write(chunk, encoding, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(error, callback) {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });
  duplex.push(consumed);
  socket.on("data", (data) => {
    if (!duplex.push(data)) socket.pause();
  });
  socket.on("end", () => duplex.push(null));
  socket.on("error", (error) => duplex.destroy(error));
  socket.on("close", () => duplex.destroy());
  return duplex;
}
