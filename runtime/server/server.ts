// Serves the port with the adapter for the runtime this process runs on (Node or Deno).
import type { RunningServer, ServeOptions } from "./options.ts";

/** Picks the adapter for the runtime this process runs on. */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  if ("Deno" in globalThis) {
    const { serveDeno } = await import("./deno.ts");
    return serveDeno(options);
  }
  const { serveNode } = await import("./node.ts");
  return serveNode(options);
}
