// Serves controller functions as Metacontroller-compatible HTTP hooks (serve.ts) on Node:
//   node runtime/hook-server/main.ts --functions website.ts --port 8080   (or: npx kubefn hooks --functions ...)
// Bun runs this file unchanged; on Deno the same handler runs under `deno serve` (deno.ts), on
// workerd as a bundle (workerd.ts).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exit, onShutdownSignal } from "../program/signals.ts";
import { hookHandler } from "./handler.ts";
import { loadDefinitions } from "./load.ts";
import { HookMetrics } from "./metrics.ts";
import { nodeHookListener } from "./node.ts";
import { startHookServer } from "./options.ts";

/** Runs the hook server with these arguments until SIGTERM or SIGINT: `kubefn hooks` and this file's entry. */
export async function runHookServer(argv: readonly string[]): Promise<void> {
  const values = startHookServer(argv, "hooks");
  const definitions = await loadDefinitions(values.functionPaths, process.cwd());
  const options = { maxBodyBytes: values.maxBodyBytes, metrics: new HookMetrics() };
  const server = createServer(nodeHookListener(definitions, hookHandler(definitions, options), options));
  server.on("error", (error) => {
    console.error(JSON.stringify({ msg: "could not serve hooks", error: error.message }));
    exit(1);
  });
  server.listen(values.port, values.host, () => {
    const { port } = server.address() as AddressInfo;
    console.error(JSON.stringify({ msg: "serving hooks", port, controllers: definitions.map((d) => d.name) }));
  });
  onShutdownSignal(() => server.close(() => exit(0)));
}

if (import.meta.main) await runHookServer(process.argv.slice(2));
