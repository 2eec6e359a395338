// Builds the Go Atomix controllers that ours succeeds, and the gRPC load client, from the Go
// module proxy, and caches them outside the repository behind a stamp of everything that
// decides their content (the go.mod, go.sum and sources under bench/go/, the Go version, the
// recipe below). A warm run builds nothing.
//   node bench/originals.ts        (prints where the binaries are)
//
// era a: github.com/atomix/atomix-k8s-controller of 2019-06-20 (PartitionSet). It writes
//   policy/v1beta1 PodDisruptionBudgets, which Kubernetes 1.25+ no longer serves, with the
//   k8s.io/api of 2018. The build replaces that module with a copy taken from the module
//   download whose policy/v1beta1 package registers its (field-for-field identical)
//   PodDisruptionBudget under policy/v1; nothing else changes. Its CRDs (v1beta1) are
//   rewritten as apiextensions.k8s.io/v1 (bench/side-by-side/crds.ts).
// era b: github.com/atomix/kubernetes-controller v0.4.0 (Database), as published; its CRDs
//   (deploy/crds.yaml) are copied as they are (kubectl needs --validate=false for them).
// load: bench/go/load, a grpc-go client of the era-a and v0.4.1 generated stubs.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, cp, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { checkGo } from "../runtime/control-plane/build.ts";
import { capture, elapsed, type Log, runGo } from "../runtime/control-plane/go.ts";
import { crdToV1 } from "./side-by-side/crds.ts";

/** Bump when the recipe below changes in a way the stamp inputs do not show. */
const recipeVersion = 1;
const goRoot = join(import.meta.dirname, "go");

export const eraAModule = "github.com/atomix/atomix-k8s-controller";
export const eraBModule = "github.com/atomix/kubernetes-controller";
const k8sApiModule = "k8s.io/api";
/** The one line of k8s.io/api's policy/v1beta1/register.go the era-a build changes. */
const policyGroupVersion = { file: "policy/v1beta1/register.go", from: 'Version: "v1beta1"}', to: 'Version: "v1"}' };

export interface Originals {
  dir: string;
  eraA: string;
  eraB: string;
  load: string;
  /** CRDs for each, as files kubectl applies. */
  eraACrds: string;
  eraBCrds: string;
  versions: { eraA: string; eraB: string; go: string };
}

interface Step {
  module: string;
  what: string;
  output: string;
  target: string;
  /** Replaces k8s.io/api with the copy registering policy/v1. */
  patchPolicy?: boolean;
}

const steps: Step[] = [
  { module: "load", what: "the gRPC load client", output: "load", target: "." },
  { module: "era-b", what: `era b (${eraBModule})`, output: "era-b", target: `${eraBModule}/cmd/controller` },
  {
    module: "era-a",
    what: `era a (${eraAModule}, k8s.io/api with policy/v1 PodDisruptionBudgets)`,
    output: "era-a",
    target: `${eraAModule}/cmd/controller`,
    patchPolicy: true,
  },
];

export function benchCacheRoot(): string {
  if (process.env.ATOMIX_BENCH_CACHE) return process.env.ATOMIX_BENCH_CACHE;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "atomix-controller-ts", "bench");
}

/** Returns the cached binaries and CRDs, building them first when the cache is cold. */
export async function ensureOriginals(log: Log = (line) => console.error(line)): Promise<Originals> {
  const go = await checkGo();
  const versions = {
    eraA: await requiredVersion("era-a", eraAModule),
    eraB: await requiredVersion("era-b", eraBModule),
    go,
  };
  const dir = join(benchCacheRoot(), await computeStamp(go));
  const originals = describe(dir, versions);
  if (existsSync(join(dir, "complete"))) return originals;

  log(`[originals] building the Go Atomix controllers from the module proxy into ${dir} (cold cache)`);
  const staging = `${dir}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(join(staging, "bin"), { recursive: true });
  await mkdir(join(staging, "crds"), { recursive: true });
  const started = Date.now();
  try {
    for (const [index, step] of steps.entries()) {
      log(`[originals] step ${index + 1}/${steps.length + 1}: ${step.what}`);
      const stepStarted = Date.now();
      const args = ["build", "-trimpath", "-ldflags", "-s -w", "-o", join(staging, "bin", step.output)];
      if (step.patchPolicy) args.push(`-modfile=${await patchedModfile(step.module, join(staging, "work"), log)}`);
      await runGo(join(goRoot, step.module), [...args, step.target], log, "[originals]", step.what);
      log(`[originals] ${step.what} built in ${elapsed(stepStarted)} (total ${elapsed(started)})`);
    }
    await rm(join(staging, "work"), { recursive: true, force: true });
    log(`[originals] step ${steps.length + 1}/${steps.length + 1}: CRDs from the module downloads`);
    const eraADir = await moduleDir("era-a", eraAModule, versions.eraA);
    const eraBDir = await moduleDir("era-b", eraBModule, versions.eraB);
    await writeFile(
      join(staging, "crds", "era-a.yaml"),
      eraACrdsYaml(await readFile(join(eraADir, "deploy", "atomix-controller.yaml"), "utf8")),
    );
    await writeFile(join(staging, "crds", "era-b.yaml"), await readFile(join(eraBDir, "deploy", "crds.yaml"), "utf8"));
    await writeFile(join(staging, "versions.json"), JSON.stringify(versions, null, 2) + "\n");
    await writeFile(join(staging, "complete"), new Date().toISOString() + "\n");
    await mkdir(benchCacheRoot(), { recursive: true });
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
  log(`[originals] built in ${elapsed(started)}`);
  return originals;
}

function describe(dir: string, versions: Originals["versions"]): Originals {
  return {
    dir,
    eraA: join(dir, "bin", "era-a"),
    eraB: join(dir, "bin", "era-b"),
    load: join(dir, "bin", "load"),
    eraACrds: join(dir, "crds", "era-a.yaml"),
    eraBCrds: join(dir, "crds", "era-b.yaml"),
    versions,
  };
}

/** The CustomResourceDefinitions of era a's deploy/atomix-controller.yaml, as apiextensions.k8s.io/v1. */
export function eraACrdsYaml(upstream: string): string {
  const crds = parseAllDocuments(upstream)
    .map((doc) => doc.toJS())
    .filter((doc) => doc?.kind === "CustomResourceDefinition")
    .map(crdToV1);
  if (!crds.length) throw new Error("era a's deploy/atomix-controller.yaml holds no CustomResourceDefinition");
  return crds.map((crd) => `---\n${stringify(crd)}`).join("");
}

/**
 * Writes a go.mod beside a copy of k8s.io/api (from the module download, at the version the
 * module requires) whose policy/v1beta1 registers under policy/v1, and returns the go.mod's path
 * for `go build -modfile`: the committed go.mod plus one replace directive.
 */
async function patchedModfile(module: string, work: string, log: Log): Promise<string> {
  const version = await requiredVersion(module, k8sApiModule);
  const copy = join(work, "k8s.io-api");
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  await cp(await moduleDir(module, k8sApiModule, version), copy, { recursive: true });
  await chmod(copy, 0o755);
  await makeWritable(copy);
  const file = join(copy, policyGroupVersion.file);
  const source = await readFile(file, "utf8");
  if (!source.includes(policyGroupVersion.from)) {
    throw new Error(
      `${k8sApiModule}@${version} ${policyGroupVersion.file} has no '${policyGroupVersion.from}' to change`,
    );
  }
  await writeFile(file, source.replace(policyGroupVersion.from, policyGroupVersion.to));
  await writeFile(join(copy, "go.mod"), `module ${k8sApiModule}\n`);
  log(`[originals]   ${k8sApiModule}@${version}: ${policyGroupVersion.file} now registers policy/v1`);
  const modfile = join(work, "patched.mod");
  const goMod = await readFile(join(goRoot, module, "go.mod"), "utf8");
  await writeFile(modfile, `${goMod}\nreplace ${k8sApiModule} => ${copy}\n`);
  // go build -modfile=X.mod reads its checksums from X.sum.
  await writeFile(join(work, "patched.sum"), await readFile(join(goRoot, module, "go.sum")));
  return modfile;
}

async function makeWritable(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    await chmod(path, entry.isDirectory() ? 0o755 : 0o644);
    if (entry.isDirectory()) await makeWritable(path);
  }
}

async function computeStamp(go: string): Promise<string> {
  const hash = createHash("sha256");
  hash.update(`recipe ${recipeVersion}\n${go}\n${JSON.stringify(steps)}\n${JSON.stringify(policyGroupVersion)}\n`);
  hash.update(await readFile(join(import.meta.dirname, "side-by-side", "crds.ts")));
  for (const module of (await readdir(goRoot)).sort()) {
    for (const file of (await readdir(join(goRoot, module))).sort()) {
      hash.update(`${module}/${file}\n`);
      hash.update(await readFile(join(goRoot, module, file)));
    }
  }
  return hash.digest("hex").slice(0, 16);
}

async function requiredVersion(module: string, path: string): Promise<string> {
  const goMod = await readFile(join(goRoot, module, "go.mod"), "utf8");
  const match = new RegExp(`^\\s*(?:require\\s+)?${path.replaceAll(".", "\\.")}\\s+(v\\S+)(?:\\s*//.*)?$`, "m").exec(
    goMod,
  );
  if (!match?.[1]) throw new Error(`bench/go/${module}/go.mod does not require ${path}`);
  return match[1];
}

async function moduleDir(module: string, path: string, version: string): Promise<string> {
  const info = JSON.parse(
    await capture("go", ["mod", "download", "-json", `${path}@${version}`], join(goRoot, module)),
  );
  if (!info.Dir) throw new Error(`go mod download ${path}@${version} gave no directory: ${info.Error ?? ""}`);
  return info.Dir as string;
}

if (import.meta.main) {
  const started = Date.now();
  ensureOriginals((line) => console.log(line)).then(
    (originals) => console.log(`[originals] ready in ${originals.dir} (${elapsed(started)})`),
    (error: Error) => {
      console.error(`[originals] ${error.message}`);
      process.exit(1);
    },
  );
}
