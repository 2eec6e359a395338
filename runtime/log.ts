// JSON logs, one object per line on stderr, with a level threshold. A closed stderr (the
// reader went away) drops lines instead of failing: see guardOutputStreams.

export const logLevels = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof logLevels)[number];

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  with(fields: Record<string, unknown>): Logger;
}

let stderrClosed = false;

/** Writes one line to stderr unless it is closed; never throws. */
export function writeStderr(line: string): void {
  if (stderrClosed) return;
  try {
    console.error(line);
  } catch {
    stderrClosed = true;
  }
}

/**
 * Keeps a failing stdout or stderr from becoming an uncaught error. On Node a write to a closed
 * pipe fails with EPIPE as an 'error' event on the stream; with no listener that event is an
 * uncaught exception, whose log line fails again, and so on without end.
 */
export function guardOutputStreams(): void {
  if ("Deno" in globalThis) return;
  for (const stream of [process.stdout, process.stderr]) {
    if (!stream.listeners("error").includes(onOutputError)) stream.on("error", onOutputError);
  }
}

function onOutputError(this: NodeJS.WriteStream): void {
  if (this === process.stderr) stderrClosed = true;
}

export function createLogger(
  level: LogLevel = "info",
  base: Record<string, unknown> = {},
  write: (line: string) => void = writeStderr,
): Logger {
  const threshold = logLevels.indexOf(level);
  const emit = (at: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (logLevels.indexOf(at) < threshold) return;
    write(JSON.stringify({ time: new Date().toISOString(), level: at, msg: message, ...base, ...fields }));
  };
  return {
    debug: (message, fields) => emit("debug", message, fields),
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
    with: (fields) => createLogger(level, { ...base, ...fields }, write),
  };
}

export const silentLogger: Logger = createLogger("error", {}, () => undefined);
