// Running the Go toolchain for the builds this repository makes from the module proxy: the
// local control plane (build.ts) and the Go originals the benchmarks compare with
// (bench/originals.ts). The local toolchain only, no cgo, go.mod files never rewritten.
import { spawn } from "node:child_process";

/** Where progress goes: called with one line of text at a time, without a trailing newline. */
export type Log = (line: string) => void;

const progressIntervalMs = 30_000;

export function goEnvironment(): NodeJS.ProcessEnv {
  return { ...process.env, GOTOOLCHAIN: "local", CGO_ENABLED: "0", GOFLAGS: "-mod=readonly -buildvcs=false" };
}

/** Runs a command with the Go environment and answers its standard output; fails with its standard error. */
export function capture(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: goEnvironment(), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.stderr.on("data", (chunk) => (err += chunk));
    child.on("error", reject);
    child.on(
      "close",
      (
        code,
      ) => (code === 0
        ? resolve(out)
        : reject(new Error(`${command} ${args.join(" ")} exited ${code}: ${err.trim()}`))),
    );
  });
}

/**
 * Runs `go <args>` in `cwd`, logging `<prefix>   still building <what>` every 30 s; on failure
 * the error carries the last 30 lines of its output.
 */
export function runGo(cwd: string, args: string[], log: Log, prefix: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn("go", args, { cwd, env: goEnvironment(), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > 64_000) output = output.slice(-32_000);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const timer = setInterval(
      () => log(`${prefix}   still building ${what} (${elapsed(started)} elapsed)`),
      progressIntervalMs,
    );
    child.on("error", (error) => {
      clearInterval(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearInterval(timer);
      if (code === 0) resolve();
      else {reject(
          new Error(
            `building ${what} failed (go ${args[0]} exited ${code}):\n${
              output.trim().split("\n").slice(-30).join("\n")
            }`,
          ),
        );}
    });
  });
}

/** "42s" or "3m07s" since a Date.now() value. */
export function elapsed(since: number): string {
  const seconds = Math.round((Date.now() - since) / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
}
