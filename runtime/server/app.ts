// The HTTP side that is not RPC: health, readiness and metrics, as a Hono app shared by
// the Node and Deno servers.
import { Hono } from "hono";
import type { Registry } from "prom-client";

export interface Readiness {
  /** Every informer has listed once. */
  cachesSynced: boolean;
  /** This replica holds the Lease (always true without election). */
  leader: boolean;
  /** Who holds the Lease, when known. */
  leaderIdentity?: string;
  /** The process is stopping: it answers what is in flight but takes no new work. */
  shuttingDown?: boolean;
}

export function healthApp(options: { readiness(): Readiness; metrics: Registry }): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.text("ok"));
  app.get("/readyz", (c) => {
    const state = options.readiness();
    // A follower with warm caches is ready: it serves read-only RPCs and takes over at once.
    const ready = state.cachesSynced && !state.shuttingDown;
    return c.json({ ready, ...state }, ready ? 200 : 503);
  });
  app.get("/metrics", async (c) => {
    c.header("content-type", options.metrics.contentType);
    return c.body(await options.metrics.metrics());
  });
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));
  return app;
}
