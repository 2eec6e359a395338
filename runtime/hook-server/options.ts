// The hook server's flags and start-up, one for each place it runs (main.ts on Node and Bun,
// workerd.ts on workerd): output guarded, uncaught errors logged before exit, the flags read
// (exit 2 naming what is wrong, or the usage and exit 0 for --help).
import { ConfigError, type OptionSpec, parseOptions, usage, type Values } from "../program/config.ts";
import { guardOutputStreams, writeStderr } from "../log.ts";
import { exit, exitOnUncaughtErrors } from "../program/signals.ts";
import { defaultMaxBodyBytes } from "./handler.ts";

export const hookServerOptions = {
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

/** Guards output, logs uncaught errors, and reads the flags; exits on --help or a bad flag. */
export function startHookServer(
  argv: readonly string[],
  name: string,
): Values<typeof hookServerOptions> & { functionPaths: string[] } {
  guardOutputStreams();
  exitOnUncaughtErrors((message, fields) =>
    writeStderr(JSON.stringify({ time: new Date().toISOString(), level: "error", msg: message, ...fields }))
  );
  let values;
  try {
    values = parseOptions(hookServerOptions, argv, process.env);
    if (!values.help && !values.functions) {
      throw new ConfigError("--functions is required: the modules whose controllers to serve");
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`hooks: ${error.message}`);
    return exit(2);
  }
  if (values.help) {
    console.log(usage(name, hookServerOptions));
    return exit(0);
  }
  return { ...values, functionPaths: values.functions.split(",").filter(Boolean) };
}
