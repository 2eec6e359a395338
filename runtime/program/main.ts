// Runs a manager as a program: flags and environment, --help, signals, orderly exit. A
// program is declared once (program()) and read by both its entry point (runProgram) and
// its manifest generator, so its name, Lease and access are said in one place.
import {
  checkRuntimeConfig,
  ConfigError,
  type OptionSpec,
  parseOptions,
  type RuntimeConfig,
  runtimeOptions,
  usage,
  type Values,
} from "./config.ts";
import { Manager, type ManagerOptions } from "./manager.ts";
import { guardOutputStreams } from "../log.ts";
import { exit, exitOnUncaughtErrors, onShutdownSignal } from "./signals.ts";

/** What a program on the runtime is: its identity, its own flags, and what its manager runs. */
export interface Program<E extends Record<string, OptionSpec> = {}> {
  /** Field manager, default Lease name, Events' reportingController and the managed-by label. */
  name: string;
  /** The Lease replicas elect a leader on unless --leader-election-id says otherwise; default: name. */
  leaseName?: string;
  /** Finalizers are "<finalizerDomain>/<controller name>"; default: each parent kind's API group. */
  finalizerDomain?: string;
  /** The program's own defaults for runtime flags (its port, say); flags and environment still win. */
  flagDefaults?: Partial<RuntimeConfig>;
  /** Flags of the program's own, parsed and documented beside the runtime's. */
  flags?: E;
  /** What the manager runs, given the program's flags. */
  build(flags: Values<E>, config: RuntimeConfig): Omit<ManagerOptions, "config" | "name" | "finalizerDomain">;
}

/** Declares a program; returns it unchanged, typed. */
export function program<E extends Record<string, OptionSpec> = {}>(definition: Program<E>): Program<E> {
  return definition;
}

/** How runManager() runs: the program's own flags, where they come from, and hooks around the run. */
export interface RunOptions<E extends Record<string, OptionSpec>> {
  /** Flags of the program's own, parsed and documented beside the runtime's. */
  extraOptions?: E;
  /** The arguments to parse (without node and the script); default process.argv.slice(2). */
  argv?: readonly string[];
  /** Runs once the manager has stopped after a signal, before the process exits. */
  afterStop?: () => Promise<void>;
  /** Adjusts the runtime configuration before the manager is built (e.g. to point it at a local cluster). */
  prepare?: (config: RuntimeConfig, extra: Values<E>) => Promise<RuntimeConfig>;
  /** The program's own defaults for runtime flags; flags and environment variables still win. */
  flagDefaults?: Partial<RuntimeConfig>;
}

/**
 * Runs a manager as the process's main work: parses flags and environment, builds the manager
 * and starts it; stops it in order on SIGTERM or SIGINT and exits. runProgram() is the same for
 * a program declared with program().
 *
 * With --help it prints the flags and resolves undefined. A flag that cannot be parsed is
 * printed and the process exits with code 2; a manager that cannot start, with code 1. An error
 * nothing caught is logged and the process exits with code 70.
 *
 * @param program the program's name, for the --help usage line and error messages.
 * @param build the manager's options, given the runtime's settings and the program's own flags.
 * @param options the program's own flags, arguments, defaults and hooks.
 * @returns the manager once it has started, or undefined after --help.
 */
export async function runManager<E extends Record<string, OptionSpec> = {}>(
  program: string,
  build: (config: RuntimeConfig, extra: Values<E>) => Omit<ManagerOptions, "config">,
  options: RunOptions<E> = {},
): Promise<Manager | undefined> {
  guardOutputStreams();
  const argv = options.argv ?? process.argv.slice(2);
  const extraSpecs = (options.extraOptions ?? {}) as E;
  const runtimeSpecs = withDefaults(runtimeOptions, options.flagDefaults ?? {});
  let config: RuntimeConfig & { help: boolean };
  let extra: Values<E>;
  try {
    const all = parseOptions({ ...runtimeSpecs, ...extraSpecs }, argv, process.env);
    config = checkRuntimeConfig(all as unknown as Values<typeof runtimeOptions> & { help: boolean });
    extra = Object.fromEntries(
      Object.keys(extraSpecs).map((key) => [key, (all as Record<string, unknown>)[key]]),
    ) as Values<E>;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${program}: ${error.message}`);
    exit(2);
  }
  if (config.help) {
    console.log(usage(program, { ...runtimeSpecs, ...extraSpecs }));
    return undefined;
  }
  const prepared = options.prepare ? await options.prepare(config, extra) : config;
  const manager = new Manager({ ...build(prepared, extra), config: prepared });
  exitOnUncaughtErrors((message, fields) => manager.log.error(message, fields));
  onShutdownSignal((signal) => {
    manager.log.info("shutting down", { signal });
    manager
      .stop()
      .then(() => options.afterStop?.())
      .then(() => exit(0));
  });
  try {
    await manager.start();
  } catch (error) {
    manager.log.error("could not start", { error: (error as Error).message });
    await options.afterStop?.();
    exit(1);
  }
  return manager;
}

/** Runs a declared program: runManager with its name, Lease, finalizer domain and flags. */
export function runProgram<E extends Record<string, OptionSpec>>(
  definition: Program<E>,
  options: Omit<RunOptions<E>, "extraOptions"> = {},
): Promise<Manager | undefined> {
  return runManager<E>(
    definition.name,
    (config, flags) => ({
      ...definition.build(flags, config),
      name: definition.name,
      ...(definition.finalizerDomain ? { finalizerDomain: definition.finalizerDomain } : {}),
    }),
    {
      ...options,
      ...(definition.flags ? { extraOptions: definition.flags } : {}),
      // The program's Lease is the default of --leader-election-id (the manager's name otherwise).
      flagDefaults: {
        ...(definition.leaseName ? { leaseName: definition.leaseName } : {}),
        ...definition.flagDefaults,
        ...options.flagDefaults,
      },
    },
  );
}

/** The runtime's flags with some defaults replaced by the program's. */
function withDefaults<T extends Record<string, OptionSpec>>(specs: T, defaults: Partial<Record<keyof T, unknown>>): T {
  return Object.fromEntries(
    Object.entries(specs).map(([key, spec]) =>
      defaults[key] === undefined ? [key, spec] : [key, { ...spec, default: defaults[key] as OptionSpec["default"] }]
    ),
  ) as T;
}
