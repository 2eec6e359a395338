// Process signals and last-resort error handlers, for Node and Deno.

type Deno = { addSignalListener(signal: string, handler: () => void): void; exit(code: number): never };

export function onShutdownSignal(handler: (signal: string) => void): void {
  const deno = (globalThis as { Deno?: Deno }).Deno;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    if (deno) deno.addSignalListener(signal, () => handler(signal));
    else process.on(signal, () => handler(signal));
  }
}

/** Keeps the process alive through errors nothing else caught, logging them instead. */
export function logUncaughtErrors(log: (message: string, fields: Record<string, unknown>) => void): void {
  if ((globalThis as { Deno?: Deno }).Deno) {
    const target = globalThis as unknown as {
      addEventListener(
        type: string,
        listener: (event: { preventDefault(): void; reason?: unknown; error?: unknown }) => void,
      ): void;
    };
    target.addEventListener("unhandledrejection", (event) => {
      event.preventDefault();
      log("unhandled rejection", { error: String(event.reason) });
    });
    target.addEventListener("error", (event) => {
      event.preventDefault();
      log("uncaught error", { error: String(event.error) });
    });
    return;
  }
  process.on("unhandledRejection", (reason) => log("unhandled rejection", { error: String(reason) }));
  process.on("uncaughtException", (error) => log("uncaught exception", { error: error.stack ?? String(error) }));
}

export function exit(code: number): never {
  const deno = (globalThis as { Deno?: Deno }).Deno;
  if (deno) deno.exit(code);
  process.exit(code);
}
