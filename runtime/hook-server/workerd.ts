// Serves controller functions as Metacontroller-compatible HTTP hooks on workerd, the runtime
// behind Cloudflare Workers (npm package `workerd`), not a Node shim:
//   node runtime/hook-server/workerd.ts --functions website.ts --port 8080   (or: npx kubefn hooks --workerd ...)
// It writes an entry module that imports the functions and hookHandler() (handler.ts), bundles
// it for the browser platform with `deno bundle` (esbuild), refuses a bundle that still needs
// a `node:` module (naming the packages that asked for one), writes a workerd config with the
// bundle as the worker's one ES module and a socket on --host:--port, and runs `workerd serve`
// until SIGTERM or SIGINT, which it passes on. No /metrics: workerd has no process to count in.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { exit, onShutdownSignal } from "../program/signals.ts";
import { defaultMaxBodyBytes } from "./handler.ts";
import { startHookServer } from "./options.ts";

/** The npm package that carries workerd's binary for this platform. */
const binaryPackages: Record<string, string> = {
  "linux-x64": "@cloudflare/workerd-linux-64",
  "linux-arm64": "@cloudflare/workerd-linux-arm64",
  "darwin-x64": "@cloudflare/workerd-darwin-64",
  "darwin-arm64": "@cloudflare/workerd-darwin-arm64",
  "win32-x64": "@cloudflare/workerd-windows-64",
};

/** A bundle that cannot run on workerd, or a tool it needs that is missing. */
export class WorkerdBuildError extends Error {}

/** The workerd binary from its npm package (no install script needed: the binary ships in it). */
export function workerdBinary(from: string = process.cwd()): string {
  const name = binaryPackages[`${process.platform}-${process.arch}`];
  if (!name) throw new WorkerdBuildError(`workerd has no build for ${process.platform}-${process.arch}`);
  try {
    const dir = join(createRequire(join(from, "noop.js")).resolve(`${name}/package.json`), "..");
    const binary = join(dir, "bin", process.platform === "win32" ? "workerd.exe" : "workerd");
    if (existsSync(binary)) return binary;
  } catch {
    // Not installed: said below.
  }
  throw new WorkerdBuildError(`workerd is not installed: npm install --save-dev workerd (it brings ${name})`);
}

/** The deno binary that bundles: the npm package's, else deno on PATH. */
function denoBinary(from: string): string {
  const local = join(from, "node_modules", ".bin", process.platform === "win32" ? "deno.cmd" : "deno");
  return existsSync(local) ? local : "deno";
}

function run(command: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk));
    child.on(
      "error",
      (error) => fail(new WorkerdBuildError(`could not run ${command}: ${error.message} (deno bundles the worker)`)),
    );
    child.on("exit", (code) => done({ code: code ?? 1, output }));
  });
}

/** The `node:` modules a bundle still asks for, each with the module of the bundle that asks. */
export function nodeImports(bundle: string): string[] {
  const found = new Set<string>();
  let module = "(entry)";
  for (const line of bundle.split("\n")) {
    const marker = /^\/\/ (\S+\.(?:ts|js|mjs|cjs))$/.exec(line);
    if (marker) module = marker[1]!;
    for (const match of line.matchAll(/(?:require\(|from |import\()\s*"(node:[\w/]+)"/g)) {
      found.add(`${module} → ${match[1]}`);
    }
  }
  return [...found].sort();
}

/**
 * Bundles the functions and the hook handler into one ES module for workerd, in `dir`; returns
 * its path. Refuses a bundle that needs a `node:` module. `importMap` (a path) maps bare
 * specifiers the functions import, as Deno's import maps do.
 */
export async function bundleWorker(
  functions: readonly string[],
  dir: string,
  options: { cwd?: string; maxBodyBytes?: number; importMap?: string } = {},
): Promise<string> {
  const cwd = options.cwd ?? process.cwd();
  const absolute = functions.map((path) => (isAbsolute(path) ? path : resolve(cwd, path)));
  const here = import.meta.dirname;
  // The sources (.ts) in this repository and on JSR, the compiled package's .js from npm.
  const extension = import.meta.filename.endsWith(".ts") ? ".ts" : ".js";
  const entry = join(dir, "entry.ts");
  await writeFile(
    entry,
    [
      `import { hookHandler } from ${JSON.stringify(join(here, `handler${extension}`))};`,
      `import { definitionsOf } from ${JSON.stringify(join(here, `definitions${extension}`))};`,
      ...absolute.map((path, index) => `import * as module${index} from ${JSON.stringify(path)};`),
      `const definitions = definitionsOf([${
        functions.map((path, index) => `[${JSON.stringify(path)}, module${index}]`).join(", ")
      }]);`,
      `const app = hookHandler(definitions, { maxBodyBytes: ${options.maxBodyBytes ?? defaultMaxBodyBytes} });`,
      `export default { fetch: (request: Request) => app.fetch(request) };`,
      "",
    ].join("\n"),
  );
  const output = join(dir, "worker.js");
  const root = join(here, "..", "..");
  const bundled = await run(denoBinary(root), [
    "bundle",
    "--quiet",
    "--platform=browser",
    "--node-modules-dir=manual",
    ...(options.importMap ? [`--import-map=${options.importMap}`] : []),
    "--output",
    output,
    entry,
  ], existsSync(join(cwd, "node_modules")) ? cwd : root);
  if (bundled.code !== 0) {
    throw new WorkerdBuildError(`deno bundle failed (${bundled.code}):\n${bundled.output.trim()}`);
  }
  const needs = nodeImports(await readFile(output, "utf8"));
  if (needs.length) {
    throw new WorkerdBuildError(
      `the functions need Node's modules, which workerd does not have:\n  ${needs.join("\n  ")}\n` +
        "Functions served on workerd may use web-standard APIs only.",
    );
  }
  return output;
}

/** workerd's config: one worker of one ES module, served on host:port. */
export function workerdConfig(host: string, port: number): string {
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "hooks", worker = .hooks)],
  sockets = [(name = "http", address = "${host}:${port}", http = (), service = "hooks")],
);

const hooks :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "2025-06-01",
);
`;
}

/** Builds the worker and runs workerd with these arguments until SIGTERM or SIGINT. */
export async function runWorkerdHookServer(argv: readonly string[]): Promise<void> {
  const values = startHookServer(argv, "hooks --workerd");
  const dir = await mkdtemp(join(tmpdir(), "kubefn-workerd-"));
  let child: ChildProcess | undefined;
  const cleanUp = () => rm(dir, { recursive: true, force: true });
  try {
    const binary = workerdBinary();
    await bundleWorker(values.functionPaths, dir, { maxBodyBytes: values.maxBodyBytes });
    await writeFile(join(dir, "config.capnp"), workerdConfig(values.host, values.port));
    child = spawn(binary, ["serve", join(dir, "config.capnp")], { cwd: dir, stdio: ["ignore", "inherit", "inherit"] });
  } catch (error) {
    await cleanUp();
    if (!(error instanceof WorkerdBuildError)) throw error;
    console.error(`hooks: ${error.message}`);
    exit(1);
  }
  console.error(JSON.stringify({ msg: "serving hooks on workerd", host: values.host, port: values.port }));
  onShutdownSignal(() => child!.kill("SIGTERM"));
  child!.on("exit", async (code, signal) => {
    await cleanUp();
    exit(code ?? (signal === "SIGTERM" ? 0 : 1));
  });
}

if (import.meta.main) await runWorkerdHookServer(process.argv.slice(2));
