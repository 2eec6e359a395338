// Builds the local control plane from Go modules and caches the binaries outside the
// repository, behind a stamp of everything that decides their content (the go.mod and
// go.sum files, the Go version and the build flags). A warm run builds nothing.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { capture, elapsed, type Log, runGo } from "./go.ts";

/** Bump when the recipe below changes in a way the stamp inputs do not show. */
const recipeVersion = 2;
const minimumGo = [1, 26] as const;

/** The Go modules that pin each component: beside this file, or beside its compiled twin (dist/control-plane/). */
const buildRoot = [new URL("./build", import.meta.url), new URL("../../control-plane/build", import.meta.url)]
  .map((url) => fileURLToPath(url))
  .find((dir) => existsSync(join(dir, "etcd", "go.mod"))) ?? fileURLToPath(new URL("./build", import.meta.url));

/** A built control plane: where each binary is, all under one cached directory. */
export interface Binaries {
  /** The build's directory, <cacheRoot()>/<stamp of its inputs>; binaries are in its bin/. */
  dir: string;
  /** Path of the etcd binary. */
  etcd: string;
  /** Path of the kube-apiserver binary. */
  kubeApiserver: string;
  /** Path of the kube-controller-manager binary. */
  kubeControllerManager: string;
  /** Path of the kube-scheduler binary. */
  kubeScheduler: string;
  /** Path of a kubectl of the same Kubernetes version. */
  kubectl: string;
  /** Path of the kwok binary, which runs the fake node. */
  kwok: string;
  /** Path of the tool that writes a cluster's CA, certificates and service-account keys. */
  pki: string;
  /** kwok Stage objects for nodes and pods, taken from the kwok module download. */
  kwokStages: string;
  /** kwok's Exec and ClusterExec CRDs (kwok.x-k8s.io), from the same download: kwok watches them but does not install them. */
  kwokExecCrds: string;
  /** What was built, from which versions. */
  versions: PinnedVersions;
}

/** The versions a control plane is built from: the Go modules the package pins (control-plane/build/), and Go's. */
export interface PinnedVersions {
  /** The k8s.io/kubernetes version, e.g. "v1.36.3": that of the API server, the other components and kubectl. */
  kubernetes: string;
  /** The go.etcd.io/etcd/server/v3 module version. */
  etcd: string;
  /** The sigs.k8s.io/kwok module version. */
  kwok: string;
  /** The Go toolchain that built them, as `go env GOVERSION` says, e.g. "go1.26.0". */
  go: string;
}

interface Step {
  module: string;
  what: string;
  packages: Record<string, string>;
  ldflags: string;
}

/** Where built control planes are kept: $KUBEFN_CONTROL_PLANE_CACHE, else <XDG cache>/kubefn/control-plane. */
export function cacheRoot(): string {
  if (process.env.KUBEFN_CONTROL_PLANE_CACHE) return process.env.KUBEFN_CONTROL_PLANE_CACHE;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "kubefn", "control-plane");
}

/**
 * Returns the cached binaries, building them first when the cache is cold: etcd, Kubernetes'
 * components and kwok from the Go modules the package pins (control-plane/build/), which takes
 * minutes and reports each step. A build goes to a staging directory and is renamed into place complete, so
 * an interrupted build is never used and two processes may build at once.
 *
 * @param log where progress lines go; default: stderr.
 * @throws Error when Go is not on PATH or older than 1.26 (GOTOOLCHAIN=local: Go does not fetch
 *   a newer one), or a build step fails.
 */
export async function ensureBinaries(log: Log = (line) => console.error(line)): Promise<Binaries> {
  const go = await checkGo();
  const versions: PinnedVersions = {
    kubernetes: await requiredVersion("kubernetes", "k8s.io/kubernetes"),
    etcd: await requiredVersion("etcd", "go.etcd.io/etcd/server/v3"),
    kwok: await requiredVersion("kwok", "sigs.k8s.io/kwok"),
    go,
  };
  const steps = buildSteps(versions);
  const stamp = await computeStamp(go, steps);
  const dir = join(cacheRoot(), stamp);
  const binaries = describe(dir, versions);
  if (existsSync(join(dir, "complete"))) return binaries;

  log(`[cluster] building the control plane from Go modules into ${dir} (cold cache; the first build takes a while)`);
  const staging = `${dir}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(join(staging, "bin"), { recursive: true });
  const started = Date.now();
  try {
    for (const [index, step] of steps.entries()) {
      const names = Object.keys(step.packages).join(", ");
      log(`[cluster] step ${index + 1}/${steps.length + 1}: ${step.what} (${names})`);
      const stepStarted = Date.now();
      const entries = Object.entries(step.packages);
      // With one package, -o names the file; with several, go names each after its package.
      const output = entries.length === 1 ? join(staging, "bin", entries[0]![0]) : join(staging, "bin") + "/";
      await runGo(
        join(buildRoot, step.module),
        ["build", "-ldflags", step.ldflags, "-o", output, ...Object.values(step.packages)],
        log,
        "[cluster]",
        step.what,
      );
      log(`[cluster] ${step.what} built in ${elapsed(stepStarted)} (total ${elapsed(started)})`);
    }
    log(`[cluster] step ${steps.length + 1}/${steps.length + 1}: kwok stages and exec CRDs from the module download`);
    const kwokDir = await kwokModuleDir(versions.kwok);
    await writeFile(join(staging, "kwok-stages.yaml"), await kwokStages(kwokDir));
    await writeFile(join(staging, "kwok-exec-crds.yaml"), await kwokExecCrds(kwokDir));
    await writeFile(join(staging, "versions.json"), JSON.stringify(versions, null, 2) + "\n");
    await writeFile(join(staging, "complete"), new Date().toISOString() + "\n");
    await mkdir(dirname(dir), { recursive: true });
    try {
      await rename(staging, dir);
    } catch (error) {
      // Another process finished the same build first; theirs is identical.
      if (!existsSync(join(dir, "complete"))) throw error;
      await rm(staging, { recursive: true, force: true });
    }
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  log(`[cluster] control plane built in ${elapsed(started)}`);
  return binaries;
}

function describe(dir: string, versions: PinnedVersions): Binaries {
  const bin = (name: string) => join(dir, "bin", name);
  return {
    dir,
    etcd: bin("etcd"),
    kubeApiserver: bin("kube-apiserver"),
    kubeControllerManager: bin("kube-controller-manager"),
    kubeScheduler: bin("kube-scheduler"),
    kubectl: bin("kubectl"),
    kwok: bin("kwok"),
    pki: bin("pki"),
    kwokStages: join(dir, "kwok-stages.yaml"),
    kwokExecCrds: join(dir, "kwok-exec-crds.yaml"),
    versions,
  };
}

function buildSteps(versions: PinnedVersions): Step[] {
  const [, major, minor] = /^v(\d+)\.(\d+)\./.exec(versions.kubernetes) ?? [];
  const versionFlags = ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"].flatMap((pkg) => [
    `-X ${pkg}.gitVersion=${versions.kubernetes}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
  ]);
  return [
    { module: "pki", what: "the credentials generator", packages: { pki: "." }, ldflags: "-s -w" },
    {
      module: "etcd",
      what: `etcd ${versions.etcd}`,
      packages: { etcd: "go.etcd.io/etcd/server/v3" },
      ldflags: "-s -w",
    },
    {
      module: "kwok",
      what: `kwok ${versions.kwok}`,
      packages: { kwok: "sigs.k8s.io/kwok/cmd/kwok" },
      ldflags: "-s -w",
    },
    {
      module: "kubernetes",
      what: `Kubernetes ${versions.kubernetes}`,
      packages: {
        "kube-apiserver": "k8s.io/kubernetes/cmd/kube-apiserver",
        "kube-controller-manager": "k8s.io/kubernetes/cmd/kube-controller-manager",
        "kube-scheduler": "k8s.io/kubernetes/cmd/kube-scheduler",
        kubectl: "k8s.io/kubernetes/cmd/kubectl",
      },
      ldflags: ["-s -w", ...versionFlags].join(" "),
    },
  ];
}

async function computeStamp(go: string, steps: Step[]): Promise<string> {
  const hash = createHash("sha256");
  hash.update(`recipe ${recipeVersion}\n${go}\n`);
  for (const step of steps) {
    hash.update(`${step.module} ${step.ldflags} ${JSON.stringify(step.packages)}\n`);
    const moduleDir = join(buildRoot, step.module);
    for (const file of (await readdir(moduleDir)).sort()) {
      hash.update(`${step.module}/${file}\n`);
      hash.update(await readFile(join(moduleDir, file)));
    }
  }
  return hash.digest("hex").slice(0, 16);
}

async function requiredVersion(module: string, path: string): Promise<string> {
  const goMod = await readFile(join(buildRoot, module, "go.mod"), "utf8");
  const match = new RegExp(`^\\s*(?:require\\s+)?${path.replaceAll(".", "\\.")}\\s+(v\\S+)(?:\\s*//.*)?$`, "m").exec(
    goMod,
  );
  if (!match?.[1]) throw new Error(`control-plane/build/${module}/go.mod does not require ${path}`);
  return match[1];
}

export async function checkGo(): Promise<string> {
  let version: string;
  try {
    version = (await capture("go", ["env", "GOVERSION"], buildRoot)).trim();
  } catch {
    throw new Error(
      `Go was not found on PATH. the control plane builds etcd, Kubernetes and kwok from Go modules and needs Go >= ${
        minimumGo.join(".")
      }.`,
    );
  }
  const match = /^go(\d+)\.(\d+)/.exec(version);
  const major = Number(match?.[1]);
  const minor = Number(match?.[2]);
  if (!match || major < minimumGo[0] || (major === minimumGo[0] && minor < minimumGo[1])) {
    throw new Error(
      `Go ${version || "(unknown version)"} is too old: the control plane needs Go >= ${
        minimumGo.join(".")
      }. GOTOOLCHAIN=local is set, so Go will not download a newer toolchain by itself.`,
    );
  }
  return version;
}

async function kwokModuleDir(version: string): Promise<string> {
  const info = JSON.parse(
    await capture("go", ["mod", "download", "-json", `sigs.k8s.io/kwok@${version}`], join(buildRoot, "kwok")),
  );
  return info.Dir as string;
}

async function kwokExecCrds(kwokDir: string): Promise<string> {
  const files = ["kwok.x-k8s.io_execs.yaml", "kwok.x-k8s.io_clusterexecs.yaml"];
  const documents: string[] = [];
  for (const file of files) {
    documents.push((await readFile(join(kwokDir, "kustomize", "crd", "bases", file), "utf8")).trim());
  }
  return documents.map((doc) => (doc.startsWith("---") ? doc : `---\n${doc}`)).join("\n") + "\n";
}

async function kwokStages(kwokDir: string): Promise<string> {
  const stageRoot = join(kwokDir, "kustomize", "stage");
  const files = [
    "node/fast/node-initialize.yaml",
    "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
    "pod/fast/pod-ready.yaml",
    "pod/fast/pod-complete.yaml",
    "pod/fast/pod-delete.yaml",
  ];
  const documents: string[] = [];
  for (const file of files) documents.push((await readFile(join(stageRoot, file), "utf8")).trim());
  return documents.map((doc) => (doc.startsWith("---") ? doc : `---\n${doc}`)).join("\n") + "\n";
}

if (import.meta.main) {
  const started = Date.now();
  ensureBinaries((line) => console.log(line)).then(
    (binaries) => console.log(`[cluster] binaries ready in ${binaries.dir} (${elapsed(started)})`),
    (error: Error) => {
      console.error(`[cluster] ${error.message}`);
      process.exit(1);
    },
  );
}
