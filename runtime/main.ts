// Runs a manager as a program: flags and environment, --help, signals, orderly exit.
import { ConfigError, parseRuntimeConfig, runtimeOptions, usage, type RuntimeConfig } from "./config.ts";
import { Manager, type ManagerOptions } from "./manager.ts";
import { exit, logUncaughtErrors, onShutdownSignal } from "./signals.ts";

export async function runManager(program: string, build: (config: RuntimeConfig) => Omit<ManagerOptions, "config">, argv = process.argv.slice(2)): Promise<Manager | undefined> {
  let config;
  try {
    config = parseRuntimeConfig(argv, process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${program}: ${error.message}`);
    exit(2);
  }
  if (config.help) {
    console.log(usage(program, runtimeOptions));
    return undefined;
  }
  const manager = new Manager({ ...build(config), config });
  logUncaughtErrors((message, fields) => manager.log.error(message, fields));
  onShutdownSignal((signal) => {
    manager.log.info("shutting down", { signal });
    manager.stop().then(() => exit(0));
  });
  try {
    await manager.start();
  } catch (error) {
    manager.log.error("could not start", { error: (error as Error).message });
    exit(1);
  }
  return manager;
}
