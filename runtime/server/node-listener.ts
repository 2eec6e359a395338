// Node: the listening socket of the port, cleartext or TLS, that hands each connection to the
// HTTP/1.1 or the HTTP/2 server. The first bytes of a connection tell which: HTTP/2 starts
// with the preface "PRI * HTTP/2.0" (h2c with prior knowledge, as gRPC clients speak it, or
// h2 after TLS's ALPN).
import type { Server as Http1Server } from "node:http";
import type { Http2Server } from "node:http2";
import { type AddressInfo, createServer as createNetServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import type { Logger } from "../log.ts";
import { type TlsFiles, watchKeyPair } from "./tls.ts";

const http2Preface = Buffer.from("PRI * HTTP/2.0");

/**
 * What an HTTP/2 client gets where HTTP/2 is not served: the server's (empty) SETTINGS, then
 * GOAWAY with HTTP_1_1_REQUIRED (RFC 9113 §7) and a reason, the signal to use HTTP/1.1.
 */
const http11Required = (() => {
  const reason = Buffer.from(
    "gRPC over HTTP/2 is not served on this runtime (Bun); use gRPC-Web or Connect over HTTP/1.1",
  );
  const frame = (type: number, payload: Buffer) => {
    const header = Buffer.alloc(9);
    header.writeUIntBE(payload.length, 0, 3);
    header.writeUInt8(type, 3);
    return Buffer.concat([header, payload]);
  };
  const goaway = Buffer.alloc(8);
  goaway.writeUInt32BE(0, 0); // last stream id
  goaway.writeUInt32BE(0xd, 4); // HTTP_1_1_REQUIRED
  return Buffer.concat([frame(0x4, Buffer.alloc(0)), frame(0x7, Buffer.concat([goaway, reason]))]);
})();
// Sockets are created with TCP_NODELAY (as Node's HTTP servers make theirs): with Nagle's
// algorithm a response written in two pieces waits for the client's delayed ACK, ~40 ms.

export interface Listener {
  port: number;
  close(): Promise<void>;
}

export async function listen(
  options: {
    host: string;
    port: number;
    tls?: TlsFiles | undefined;
    http1: Http1Server;
    /** Undefined where HTTP/2 cannot be served (Bun): such connections get GOAWAY HTTP_1_1_REQUIRED. */
    http2: Http2Server | undefined;
    log: Logger;
  },
): Promise<Listener> {
  const { log, http1, http2 } = options;
  const sockets = new Set<Socket>();
  const route = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", (error) => log.debug("connection error", { error: error.message }));
    let seen = Buffer.alloc(0);
    const sniff = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const compared = Math.min(seen.length, http2Preface.length);
      const looksLikeHttp2 = seen.subarray(0, compared).equals(http2Preface.subarray(0, compared));
      if (looksLikeHttp2 && seen.length < http2Preface.length) return; // wait for the rest of the preface
      socket.off("data", sniff);
      socket.pause();
      socket.unshift(seen);
      if (looksLikeHttp2 && !http2) {
        socket.end(http11Required);
      } else if (looksLikeHttp2 && http2) {
        // The HTTP/2 session takes over the socket's handle and first reads what the socket
        // holds (the bytes handed back), so no JavaScript stream sits between them.
        http2.emit("connection", socket);
      } else {
        http1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", sniff);
  };

  let server: Server;
  let stopWatching = () => {};
  if (options.tls) {
    const tlsServer = createTlsServer({ ALPNProtocols: http2 ? ["h2", "http/1.1"] : ["http/1.1"], noDelay: true });
    const watcher = watchKeyPair(
      options.tls,
      log,
      (pair) => tlsServer.setSecureContext({ cert: pair.cert, key: pair.key }),
    );
    tlsServer.setSecureContext({ cert: watcher.initial.cert, key: watcher.initial.key });
    tlsServer.on("secureConnection", (socket: TLSSocket) => route(socket));
    tlsServer.on("tlsClientError", (error) => log.debug("TLS handshake failed", { error: error.message }));
    stopWatching = watcher.stop;
    server = tlsServer;
  } else {
    server = createNetServer({ noDelay: true }, route);
  }
  server.on("error", (error) => log.error("server error", { error: error.message }));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      stopWatching();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      http1.close();
      http2?.close();
    },
  };
}
