// Serves controller functions as Metacontroller-compatible HTTP hooks (serve.ts) on Node:
//   node runtime/hook-server/main.ts --functions website.ts --port 8080   (or: npx kubefn hooks --functions ...)
// Bun runs this file unchanged; on Deno the same handler runs under `deno serve` (deno.ts), on
// workerd as a bundle (workerd.ts).
import { serve } from "@hono/node-server";
import { exit, onShutdownSignal } from "../program/signals.ts";
import { loadDefinitions } from "./load.ts";
import { startHookServer } from "./options.ts";
import { hookApp } from "./serve.ts";

/** Runs the hook server with these arguments until SIGTERM or SIGINT: `kubefn hooks` and this file's entry. */
export async function runHookServer(argv: readonly string[]): Promise<void> {
  const values = startHookServer(argv, "hooks");
  const definitions = await loadDefinitions(values.functionPaths, process.cwd());
  const app = hookApp(definitions, { maxBodyBytes: values.maxBodyBytes });
  const server = serve(
    { fetch: app.fetch, hostname: values.host, port: values.port },
    (info) =>
      console.error(
        JSON.stringify({ msg: "serving hooks", port: info.port, controllers: definitions.map((d) => d.name) }),
      ),
  );
  onShutdownSignal(() => server.close(() => exit(0)));
}

if (import.meta.main) await runHookServer(process.argv.slice(2));
