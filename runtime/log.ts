// JSON logs, one object per line on stderr, with a level threshold. A closed stderr (the
// reader went away) drops lines instead of failing: see guardOutputStreams.

/** The log levels, least severe first. */
export const logLevels = ["debug", "info", "warn", "error"] as const;
/** A log level: a logger writes lines at its level and the more severe ones. */
export type LogLevel = (typeof logLevels)[number];

/**
 * Structured logs: each call writes one line (JSON, for createLogger's loggers) with a message
 * and fields. The runtime hands one to RPC services and components, tagged with the manager.
 */
export interface Logger {
  /** Detail for debugging, written only at level debug. */
  debug(message: string, fields?: Record<string, unknown>): void;
  /** What happened in the normal course of things. */
  info(message: string, fields?: Record<string, unknown>): void;
  /** Something went wrong and was handled, or may need attention. */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** Something failed. */
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger that also writes these fields on every line, besides this one's (these win on a clash). */
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

/**
 * A logger writing one JSON object per line: time (ISO 8601), level, msg, then the base fields
 * and the call's fields (a call's field wins over a base field of the same name).
 *
 * @param level lines below this level are dropped; default "info".
 * @param base fields on every line, e.g. { manager: "website-controller" }.
 * @param write where each line goes; default: stderr, dropping lines once stderr is closed.
 */
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

/** A logger that writes nothing, for tests and tools that want no output. */
export const silentLogger: Logger = createLogger("error", {}, () => undefined);
