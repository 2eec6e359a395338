// A second listener that serves only GET /metrics, for upstream's --metrics-address when it names
// another port than the one where the runtime serves health, readiness and metrics (Prometheus
// scrape configs that point at upstream's metrics port keep working).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { ListenAddress } from "./upstream-flags.ts";

/** What renders the metrics: a prom-client Registry (the manager's `metrics.registry`). */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsListener {
  /** The port it listens on (the real one when asked for port 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * Listens on `address` (an empty host: every interface) and answers GET /metrics from `source`;
 * every other request gets 404.
 *
 * @throws the listen error (the port is taken, say) when it cannot listen.
 */
export async function serveMetrics(address: ListenAddress, source: MetricsSource): Promise<MetricsListener> {
  const server = createServer((request, response) => {
    if (request.method !== "GET" || request.url?.split("?")[0] !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain" }).end("only GET /metrics is served here\n");
      return;
    }
    source.metrics().then(
      (text) => response.writeHead(200, { "content-type": source.contentType }).end(text),
      (error: Error) => response.writeHead(500, { "content-type": "text/plain" }).end(`${error.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(address.port, address.host || undefined, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
