// Serves controller functions as Metacontroller-compatible HTTP hooks (serve.ts) on Node:
//   node runtime/hook-server/main.ts --functions website.ts --port 8080   (or: npx kubefn hooks --functions ...)
// On Deno the same handler runs under `deno serve` (deno.ts).
import { serve } from "@hono/node-server";
import { ConfigError, type OptionSpec, parseOptions, usage } from "../program/config.ts";
import { guardOutputStreams, writeStderr } from "../log.ts";
import { exit, exitOnUncaughtErrors, onShutdownSignal } from "../program/signals.ts";
import { loadDefinitions } from "./load.ts";
import { defaultMaxBodyBytes, hookApp } from "./serve.ts";

const options = {
  functions: {
    flag: "functions",
    env: "HOOK_FUNCTIONS",
    type: "string",
    default: "",
    description: "Modules exporting controller definitions, comma-separated",
  },
  host: { flag: "host", env: "HOOK_HOST", type: "string", default: "0.0.0.0", description: "Address to listen on" },
  port: { flag: "port", env: "HOOK_PORT", type: "number", default: 8080, description: "Port to listen on" },
  maxBodyBytes: {
    flag: "max-body-bytes",
    env: "HOOK_MAX_BODY_BYTES",
    type: "number",
    default: defaultMaxBodyBytes,
    description: "Largest request body read",
  },
} satisfies Record<string, OptionSpec>;

/** Runs the hook server with these arguments until SIGTERM or SIGINT: `kubefn hooks` and this file's entry. */
export async function runHookServer(argv: readonly string[]): Promise<void> {
  guardOutputStreams();
  exitOnUncaughtErrors((message, fields) =>
    writeStderr(JSON.stringify({ time: new Date().toISOString(), level: "error", msg: message, ...fields }))
  );

  let values;
  try {
    values = parseOptions(options, argv, process.env);
    if (!values.help && !values.functions) {
      throw new ConfigError("--functions is required: the modules whose controllers to serve");
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`hooks: ${error.message}`);
    exit(2);
  }
  if (values.help) {
    console.log(usage("hooks", options));
    exit(0);
  }
  const definitions = await loadDefinitions(values.functions.split(",").filter(Boolean), process.cwd());
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
