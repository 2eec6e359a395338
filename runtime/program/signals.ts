// Process signals, and what happens to an error nothing else caught, for Node and Deno. A log
// pipe that closes (`| head`, a log shipper restarting) must not take the process down or spin
// it: once stderr fails, log lines are dropped (log.ts). An error nothing caught is a bug, and
// the process's state unknown: it is logged if the log can still be written, and the process
// exits non-zero, as Node does by default.
import { shutdownTimeoutMs } from "../defaults.ts";

type Deno = { addSignalListener(signal: string, handler: () => void): void; exit(code: number): never };
const deno = () => (globalThis as { Deno?: Deno }).Deno;

/** Exit code after an error nothing caught (EX_SOFTWARE). */
export const uncaughtExitCode = 70;

/**
 * Calls the handler on the first SIGTERM or SIGINT. The process exits non-zero if the handler
 * has not ended it within shutdownTimeoutMs, and at once on a second signal (Ctrl-C twice).
 */
export function onShutdownSignal(handler: (signal: string) => void, timeoutMs = shutdownTimeoutMs): void {
  let received = false;
  const onSignal = (signal: string) => {
    if (received) exit(130);
    received = true;
    const timer = setTimeout(() => exit(1), timeoutMs) as { unref?: () => void };
    timer.unref?.();
    handler(signal);
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    const runtime = deno();
    if (runtime) runtime.addSignalListener(signal, () => onSignal(signal));
    else process.on(signal, () => onSignal(signal));
  }
}

/**
 * Logs an error nothing else caught, best effort, and exits with uncaughtExitCode. A closed log
 * pipe never gets here: guardOutputStreams (log.ts), which every program calls first, handles
 * the streams' own errors.
 */
export function exitOnUncaughtErrors(log: (message: string, fields: Record<string, unknown>) => void): void {
  let exiting = false;
  const fatal = (message: string, error: unknown) => {
    if (exiting) return;
    exiting = true;
    try {
      log(message, { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    } catch {
      // The log is gone too; the exit code still tells.
    }
    exit(uncaughtExitCode);
  };
  if (deno()) {
    const target = globalThis as unknown as {
      addEventListener(
        type: string,
        listener: (event: { preventDefault(): void; reason?: unknown; error?: unknown }) => void,
      ): void;
    };
    target.addEventListener("unhandledrejection", (event) => {
      event.preventDefault();
      fatal("unhandled rejection", event.reason);
    });
    target.addEventListener("error", (event) => {
      event.preventDefault();
      fatal("uncaught error", event.error);
    });
    return;
  }
  process.on("unhandledRejection", (reason) => fatal("unhandled rejection", reason));
  process.on("uncaughtException", (error) => fatal("uncaught exception", error));
}

export function exit(code: number): never {
  const runtime = deno();
  if (runtime) runtime.exit(code);
  process.exit(code);
}
