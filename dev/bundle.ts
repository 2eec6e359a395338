// Bundles each product's entry point into one minified JavaScript file, as the image runs them
// (deploy/Containerfile):
//   npm run bundle                      writes dist/bundle/
//   node dev/bundle.ts --out=DIR
// One file per product instead of the ~1000 modules tsc's output loads: Node keeps every
// module's source text, its module record and its scope data for the life of the process, and
// V8 keeps the source of every function it may still compile. Bundled and minified, the
// Atomix controller rests at about 75 MiB instead of 86 (bench/results/memory.md).
// @kubernetes/client-node stays a package in node_modules: the runtime's resolve hook
// (runtime/kube/kubeconfig.ts) gives its config module stand-ins for what the runtime never
// uses, and those stand-ins are bundled beside each entry, where the hook looks for them
// (client-node/*.js next to the bundle).
import { spawn } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";

const root = join(import.meta.dirname, "..");

/** The products' entry points, by the path the image and the manifests run them at (with .js). */
export const productEntries = [
  "main.ts",
  "functions/atomix-operator/main.ts",
  "functions/rss-operator/main.ts",
  "functions/metacontroller/main.ts",
];

/** The stand-ins runtime/kube/kubeconfig.ts gives @kubernetes/client-node's config module. */
const standIns = ["generated-api.ts", "oidc.ts", "undici.ts", "proxies.ts"].map((file) =>
  join("runtime", "kube", "client-node", file)
);

/** The package stays in node_modules (see above), with its own dependencies. */
const external = ["@kubernetes/client-node", "@kubernetes/client-node/*"];

/** The deno binary of the npm package (a dev dependency), else deno on PATH. */
function denoBinary(): string {
  const local = join(root, "node_modules", ".bin", process.platform === "win32" ? "deno.cmd" : "deno");
  return existsSync(local) ? local : "deno";
}

function deno(args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(denoBinary(), args, {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk));
    child.on("error", (error) => fail(new Error(`could not run deno (npm ci brings it): ${error.message}`)));
    child.on("exit", (code) => {
      if (code === 0) done();
      else fail(new Error(`deno ${args.join(" ")} failed (${code}):\n${output.trim()}`));
    });
  });
}

const bundleFlags = [
  "bundle",
  "--platform=deno",
  "--node-modules-dir=manual",
  "--minify",
  ...external.map((name) => `--external=${name}`),
];

/** Bundles one entry point (a path) into `output` as the image's bundles are made, without the stand-ins. */
export async function bundleFile(entry: string, output: string): Promise<void> {
  mkdirSync(dirname(output), { recursive: true });
  await deno([...bundleFlags, entry, "--output", output]);
}

/**
 * Writes `<out>/<entry>.js` for every product entry, and beside each the client-node stand-ins
 * (`client-node/*.js`, bundled once and copied). Returns the bundles' paths. `log` hears one
 * line per bundle.
 */
export async function bundleProducts(out: string, log: (line: string) => void = () => {}): Promise<string[]> {
  rmSync(out, { recursive: true, force: true });
  const standInsDir = join(out, "client-node");
  await deno([...bundleFlags, ...standIns.map((file) => join(root, file)), "--outdir", standInsDir]);
  const bundles: string[] = [];
  for (const entry of productEntries) {
    const output = join(out, entry.replace(/\.ts$/, ".js"));
    await bundleFile(join(root, entry), output);
    const beside = join(dirname(output), "client-node");
    if (beside !== standInsDir) cpSync(standInsDir, beside, { recursive: true });
    log(`bundled ${entry} into ${output}`);
    bundles.push(output);
  }
  return bundles;
}

/**
 * Lays `dir` out around its bundles (or compiled files) as the image does, with this
 * repository's package.json and a link to its node_modules in place of a copy.
 */
export function besideRepositoryPackages(dir: string): void {
  copyFileSync(join(root, "package.json"), join(dir, "package.json"));
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { out: { type: "string", default: join(root, "dist", "bundle") } } });
  await bundleProducts(values.out!, (line) => console.error(`[bundle] ${line}`));
}
