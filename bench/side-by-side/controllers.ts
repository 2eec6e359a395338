// Runs each controller under test as its own process, as it runs in production:
//  - ours: bundled as the image has it (dev/bundle.ts, package.json and node_modules beside the
//    bundle), `node --max-semi-space-size=1 main.js`, with the image's environment (its ENV lines);
//  - era a and era b: the binaries bench/originals.ts built. Out of a cluster they skip their
//    leader election (POD_NAMESPACE/POD_NAME unset). With `election`, they run in a private
//    mount namespace whose /run holds a service account token and CA at the in-cluster paths,
//    with KUBERNETES_SERVICE_HOST/PORT, POD_NAME and POD_NAMESPACE set, as in a pod.
// Every process gets a parent-death signal, so none outlives the bench.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { type AddressInfo, createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { besideRepositoryPackages, bundleProducts } from "../../dev/bundle.ts";
import { sleep } from "./control-plane.ts";
import type { Side } from "./workload.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");
/** The Go originals listen here, always (it is not configurable). */
export const goGrpcPort = 5679;
/** controller-runtime's default metrics address in both originals. */
export const goMetricsPort = 8080;
const readyTimeoutMs = 120_000;
const stopGraceMs = 10_000;

/**
 * The environment the image sets (deploy/Containerfile's ENV lines in its last stage), which
 * ours runs with unless told otherwise: the bench measures what ships.
 */
export const imageEnv: Record<string, string> = (() => {
  const containerfile = readFileSync(join(root, "deploy", "Containerfile"), "utf8");
  const last = containerfile.slice(containerfile.lastIndexOf("\nFROM "));
  return Object.fromEntries([...last.matchAll(/^ENV (\w+)=(\S+)$/gm)].map((match) => [match[1]!, match[2]!]));
})();

export interface Controller {
  side: Side;
  name: string;
  pid: number;
  /** host:port of its gRPC API. */
  grpc: string;
  /** Our /readyz and /metrics, at this port (ours only). */
  httpPort?: number;
  logFile: string;
  log(): string;
  exited(): boolean;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Applies our CRDs and RBAC (deploy/atomix-controller.yaml) server-side and waits for every CRD to be Established. */
export async function installOurs(kubectl: string, kubeconfig: string): Promise<void> {
  const manifest = join(root, "deploy", "atomix-controller.yaml");
  await run(kubectl, ["--kubeconfig", kubeconfig, "apply", "--server-side", "-f", manifest]);
  await run(kubectl, ["--kubeconfig", kubeconfig, "wait", "--for=condition=Established", "crd", "--all"]);
}

/** Bundles the products as the image does and returns the directory holding main.js (the Atomix controller). */
export async function buildOurs(): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), "atomix-bench-bundle-"));
  await bundleProducts(out);
  besideRepositoryPackages(out);
  return out;
}

/** Compiles the sources with tsc (npm run build) and returns the directory holding main.js and every module. */
export async function compileOurs(): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), "atomix-bench-build-"));
  // tsconfig.build.json, with main.ts for the top level's *.ts: a stray file there (someone's
  // work in progress) then cannot fail the build.
  besideRepositoryPackages(out);
  const config = join(out, "tsconfig.json");
  const include = (JSON.parse(readFileSync(join(root, "tsconfig.build.json"), "utf8")).include as string[]).map((
    entry,
  ) => join(root, entry === "*.ts" ? "main.ts" : entry));
  writeFileSync(config, JSON.stringify({ extends: join(root, "tsconfig.build.json"), include }));
  await run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", config, "--outDir", out], {
    cwd: root,
  });
  return out;
}

function launch(
  name: string,
  command: string[],
  env: NodeJS.ProcessEnv,
  logDir: string,
): { child: ChildProcess; logFile: string } {
  const logFile = join(logDir, `${name}.log`);
  const fd = openSync(logFile, "a");
  const [program, ...args] = existsSync("/usr/bin/setpriv")
    ? ["/usr/bin/setpriv", "--pdeathsig", "SIGKILL", ...command]
    : command;
  const child = spawn(program!, args, { cwd: logDir, env, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  return { child, logFile };
}

function handle(
  side: Side,
  name: string,
  child: ChildProcess,
  logFile: string,
  grpc: string,
  httpPort?: number,
): Controller {
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  return {
    side,
    name,
    pid: child.pid!,
    grpc,
    ...(httpPort ? { httpPort } : {}),
    logFile,
    log: () => readFileSync(logFile, "utf8"),
    exited,
    stop(signal = "SIGTERM") {
      if (exited()) return Promise.resolve();
      return new Promise((resolve) => {
        const kill = setTimeout(() => child.kill("SIGKILL"), stopGraceMs);
        child.once("exit", () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill(signal);
      });
    },
  };
}

export interface OursOptions {
  built: string;
  kubeconfig: string;
  port: number;
  logDir: string;
  name?: string;
  /** Node flags; the image's (--max-semi-space-size=1) unless given. */
  nodeFlags?: string[];
  /** Leader election on a Lease in kube-system; off (a single replica) unless given. */
  election?: { identity: string; leaseDurationSeconds?: number };
  /**
   * More environment variables (the program's settings, e.g. MEMORY_COMPACTION_IDLE_SECONDS),
   * over the image's (imageEnv); an empty value takes one of the image's away.
   */
  env?: Record<string, string>;
}

export async function startOurs(options: OursOptions): Promise<Controller> {
  const name = options.name ?? "ours";
  const args = [
    ...(options.nodeFlags ?? ["--max-semi-space-size=1"]),
    join(options.built, "main.js"),
    `--kubeconfig=${options.kubeconfig}`,
    `--port=${options.port}`,
    "--host=127.0.0.1",
    ...(options.election
      ? [
        "--leader-elect=true",
        `--identity=${options.election.identity}`,
        "--leader-election-namespace=kube-system",
        "--leader-election-id=atomix-bench",
      ]
      : ["--leader-elect=false"]),
  ];
  const { child, logFile } = launch(name, [process.execPath, ...args], {
    ...process.env,
    KUBECONFIG: options.kubeconfig,
    ...imageEnv,
    ...options.env,
  }, options.logDir);
  const controller = handle("ours", name, child, logFile, `127.0.0.1:${options.port}`, options.port);
  await waitFor(`${name} to be ready`, controller, async () => (await readyz(options.port))?.ready === true);
  return controller;
}

export async function readyz(port: number): Promise<{ ready: boolean; leader: boolean } | undefined> {
  try {
    return (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { ready: boolean; leader: boolean };
  } catch {
    return undefined;
  }
}

export interface GoElection {
  podName: string;
  podNamespace: string;
  /** A directory holding `token` and `ca.crt`. */
  serviceAccountDir: string;
  apiserverHost: string;
  apiserverPort: string;
}

export interface GoOptions {
  side: "era-a" | "era-b";
  binary: string;
  kubeconfig: string;
  logDir: string;
  name?: string;
  election?: GoElection;
  /** Wait until its workers run (caches synced); true unless told. */
  waitReady?: boolean;
}

/** Workers each original starts once its caches are in: era a partition and partitionset, era b database and member. */
const goControllers = 2;

export async function startGo(options: GoOptions): Promise<Controller> {
  const name = options.name ?? options.side;
  // Era a reads --kubeconfig; era b only $KUBECONFIG. Both need CONTROLLER_NAME/NAMESPACE for annotations.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KUBECONFIG: options.kubeconfig,
    CONTROLLER_NAME: "atomix-controller",
    CONTROLLER_NAMESPACE: "kube-system",
  };
  delete env.POD_NAME;
  delete env.POD_NAMESPACE;
  const direct = options.side === "era-a" ? [options.binary, `--kubeconfig=${options.kubeconfig}`] : [options.binary];
  let command = direct;
  if (options.election) {
    const e = options.election;
    Object.assign(env, {
      POD_NAME: e.podName,
      POD_NAMESPACE: e.podNamespace,
      KUBERNETES_SERVICE_HOST: e.apiserverHost,
      KUBERNETES_SERVICE_PORT: e.apiserverPort,
      SA_DIR: e.serviceAccountDir,
    });
    const script = [
      "mount -t tmpfs tmpfs /run",
      "mkdir -p /run/secrets/kubernetes.io/serviceaccount",
      'cp "$SA_DIR/token" "$SA_DIR/ca.crt" /run/secrets/kubernetes.io/serviceaccount/',
      'exec "$@"',
    ].join(" && ");
    command = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", ...direct];
  }
  const { child, logFile } = launch(name, command, env, options.logDir);
  const controller = handle(options.side, name, child, logFile, `127.0.0.1:${goGrpcPort}`);
  if (options.waitReady ?? true) {
    await waitFor(
      `${name} to run its workers`,
      controller,
      async () => count(controller.log(), '"Starting workers"') >= goControllers && (await listening(goGrpcPort)),
    );
  }
  return controller;
}

/** A loopback port nobody listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts connections on this loopback port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export const count = (text: string, needle: string) => text.split(needle).length - 1;

async function waitFor(what: string, controller: Controller, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (controller.exited()) {
      throw new Error(
        `${controller.name} exited while waiting for ${what}; the tail of ${controller.logFile}:\n${
          tailOf(controller.log())
        }`,
      );
    }
    if (await probe()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}; the tail of ${controller.logFile}:\n${tailOf(controller.log())}`);
}

export const tailOf = (text: string, lines = 20) => text.trimEnd().split("\n").slice(-lines).join("\n");

/** VmRSS and VmHWM of a process, in bytes, from /proc/PID/status. */
export function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
  return { rss: field("VmRSS"), hwm: field("VmHWM") };
}

/** Where a process's resident pages are, in bytes, from /proc/PID/smaps. */
export interface ResidentSplit {
  /** Anonymous mappings of 256 KiB: V8's heap pages, in use or kept in its pool. */
  v8Pages: number;
  /** The [heap] mapping: malloc's main arena (buffers, TLS, HTTP/2 sessions, parsers). */
  mallocMain: number;
  /** Every other anonymous mapping: malloc's thread arenas, V8's large objects and code, stacks. */
  otherAnonymous: number;
  /** File-backed pages: the node binary's code and data that the process touched, and libraries. */
  fileBacked: number;
}

/** Splits a process's resident pages by where they are (see ResidentSplit). */
export function residentSplit(pid: number): ResidentSplit {
  const split: ResidentSplit = { v8Pages: 0, mallocMain: 0, otherAnonymous: 0, fileBacked: 0 };
  let kind: keyof ResidentSplit = "otherAnonymous";
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const mapping = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) {
      const size = parseInt(mapping[2]!, 16) - parseInt(mapping[1]!, 16);
      const name = mapping[3]!.trim();
      kind = name === "[heap]"
        ? "mallocMain"
        : name.startsWith("/") || name.startsWith("anon_inode")
        ? "fileBacked"
        : size === 256 * 1024 && name === ""
        ? "v8Pages"
        : "otherAnonymous";
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) split[kind] += Number(rss[1]) * 1024;
  }
  return split;
}

/** Resets a process's VmHWM to its current RSS (Linux: clear_refs 5), so the next reading is the high-water mark since now. */
export function resetHighWater(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** CPU seconds a process has used (user + system), from /proc/PID/stat. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Node's floor under ours' RSS at rest: a process of the same Node, flags and environment that
 * does what every controller of this kind must and nothing more (loads node:https and
 * node:http2, makes one TLS request to the API server, listens for HTTP/1.1 and HTTP/2 on one
 * port), then idles as long as ours rested. Ours minus this is what its code and data cost.
 */
export async function nodeFloor(
  options: { nodeFlags: string[]; server: string; restMs: number; logDir: string },
): Promise<{ rss: number; split: ResidentSplit }> {
  const script = [
    `const https = require("node:https"), http2 = require("node:http2");`,
    `const server = http2.createServer({ allowHTTP1: true }, (_, res) => res.end());`,
    `server.listen(0, "127.0.0.1", () => {`,
    `  const done = () => console.log("ready");`,
    `  https.get(process.env.FLOOR_SERVER + "/readyz", { rejectUnauthorized: false }, (res) => { res.resume(); res.on("end", done); }).on("error", done);`,
    `});`,
    `setInterval(() => {}, 1 << 30);`,
  ].join("\n");
  const { child, logFile } = launch("node-floor", [process.execPath, ...options.nodeFlags, "-e", script], {
    ...process.env,
    ...imageEnv,
    FLOOR_SERVER: options.server,
  }, options.logDir);
  try {
    const deadline = Date.now() + readyTimeoutMs;
    while (!readFileSync(logFile, "utf8").includes("ready")) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`Node's floor process did not get ready: ${tailOf(readFileSync(logFile, "utf8"))}`);
      }
      await sleep(100);
    }
    await sleep(options.restMs);
    return { rss: memoryOf(child.pid!).rss, split: residentSplit(child.pid!) };
  } finally {
    child.kill("SIGKILL");
  }
}
