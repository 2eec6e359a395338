// Builds and runs the Go programs under test/interop/go/ that drive the controller API with
// the real Atomix Go clients, pinned in each program's go.mod and fetched from the module proxy.
// Each binary is built once into the cache (keyed by its module's files, the package and the
// Go version), like the control plane, so test files share it and leave nothing in /tmp.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, relative } from "node:path";

const goRoot = join(import.meta.dirname, "..", "interop", "go");

export interface GoRun {
  code: number | null;
  /** Each JSON line the program printed on stdout. */
  steps: Array<Record<string, unknown> & { step: string }>;
  stderr: string;
}

function run(
  command: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, GOTOOLCHAIN: "local", CGO_ENABLED: "0", GOFLAGS: "-mod=readonly" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Where built Go programs are kept between runs. */
export function goProgramCache(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "atomix-controller-ts", "go-programs");
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]
  ).sort();
}

/** Builds test/interop/go/<program> (or a package of that module) once, and returns the cached binary's path. */
export async function buildGoProgram(program: string, pkg = "."): Promise<string> {
  const name = pkg === "." ? program : pkg.split("/").pop()!;
  const moduleDir = join(goRoot, program);
  const version = await run("go", ["version"], moduleDir, 60_000);
  const hash = createHash("sha256").update(`${version.stdout}\n${pkg}\n`);
  for (const file of filesUnder(moduleDir)) hash.update(`${relative(moduleDir, file)}\n`).update(readFileSync(file));
  const dir = join(goProgramCache(), `${program}-${name}-${hash.digest("hex").slice(0, 16)}`);
  const output = join(dir, name);
  if (existsSync(output)) return output;
  const staging = `${dir}.tmp-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  try {
    const result = await run("go", ["build", "-o", join(staging, name), pkg], moduleDir, 10 * 60_000);
    if (result.code !== 0) {
      throw new Error(`go build of ${pkg} in test/interop/go/${program} failed (${result.code}):\n${result.stderr}`);
    }
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return output;
}

/** The clients pinned in test/interop/go/tools: grpcurl, grpc-health-probe and the grpc-go edges program. */
export const goTools = {
  grpcurl: "github.com/fullstorydev/grpcurl/cmd/grpcurl",
  healthProbe: "github.com/grpc-ecosystem/grpc-health-probe",
  edges: "./edges",
} as const;

export const buildGoTool = (tool: keyof typeof goTools) => buildGoProgram("tools", goTools[tool]);

/** Runs a program to its end and returns its exit code and output (for clients that print text, not JSON steps). */
export function runTool(
  binary: string,
  args: string[],
  timeoutMs = 60_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run(binary, args, tmpdir(), timeoutMs);
}

/** The step of that name a program printed; fails the test (with the program's stderr) when there is none. */
export function stepOf(run: GoRun, name: string): GoRun["steps"][number] {
  const found = run.steps.find((step) => step.step === name);
  if (!found) throw new Error(`the Go client printed no step ${name}; stderr: ${run.stderr}`);
  return found;
}

export async function runGoProgram(binary: string, args: string[], timeoutMs = 120_000): Promise<GoRun> {
  const result = await run(binary, args, tmpdir(), timeoutMs);
  const steps = result.stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as GoRun["steps"][number]);
  return { code: result.code, steps, stderr: result.stderr };
}

export interface GoProcess {
  /** Steps printed so far; grows while the program runs. */
  steps: GoRun["steps"];
  stderr(): string;
  /** Sends a signal and resolves once the program has exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts a long-running Go program (a member or an observer) and follows its steps. */
export function startGoProgram(binary: string, args: string[]): GoProcess {
  const child = spawn(binary, args, { cwd: tmpdir(), stdio: ["ignore", "pipe", "pipe"] });
  const steps: GoRun["steps"] = [];
  let stderr = "";
  let pending = "";
  child.stdout.on("data", (chunk: Buffer) => {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.startsWith("{")) steps.push(JSON.parse(line));
    }
  });
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    steps,
    stderr: () => stderr,
    stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
