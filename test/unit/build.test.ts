// `npm run build` compiles the sources to JavaScript, and `npm run bundle` (dev/bundle.ts)
// bundles each product into one file as the image runs it (deploy/Containerfile): both must
// start and answer --help like the TypeScript entry points. (The bundled Atomix controller at
// work: test/interop/atomix-controller/bundle.test.ts.)
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { besideRepositoryPackages, bundleFile, bundleProducts, productEntries } from "../../dev/bundle.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");
const node = process.execPath;
const out = mkdtempSync(join(tmpdir(), "atomix-build-"));

test.after(() => rmSync(out, { recursive: true, force: true }));

test("npm run build compiles every entry point, and each compiled product starts", async () => {
  await run(node, [
    join(root, "node_modules", "typescript", "bin", "tsc"),
    "-p",
    join(root, "tsconfig.build.json"),
    "--outDir",
    out,
  ], { cwd: root });
  // Laid out as in the image: package.json and node_modules beside the compiled files.
  besideRepositoryPackages(out);
  for (const entry of productEntries.map((file) => file.replace(/\.ts$/, ".js"))) {
    const { stdout } = await run(node, ["--max-semi-space-size=1", join(out, entry), "--help"], { cwd: out });
    assert.match(stdout, /--kubeconfig/, `${entry} --help lists the runtime's flags`);
  }
});

test("npm run bundle writes one file per product, laid out as the manifests run them, and each starts", async () => {
  const app = join(out, "bundle");
  const bundles = await bundleProducts(app);
  assert.equal(bundles, productEntries.map((entry) => join(app, entry.replace(/\.ts$/, ".js"))));
  besideRepositoryPackages(app);
  for (const bundle of bundles) {
    const { stdout } = await run(node, ["--max-semi-space-size=1", bundle, "--help"], { cwd: app });
    assert.match(stdout, /--kubeconfig/, `${bundle} --help lists the runtime's flags`);
  }
});

test("a program bundled without the client-node stand-ins beside it loads client-node whole and works", async () => {
  const app = join(out, "plain");
  mkdirSync(app, { recursive: true });
  besideRepositoryPackages(app);
  const entry = join(app, "entry.ts");
  writeFileSync(
    entry,
    `import { loadKubeConfig } from ${JSON.stringify(join(root, "runtime", "kube", "kubeconfig.ts"))};
const config = await loadKubeConfig(process.argv[2]);
console.log(JSON.stringify({ server: config.getCurrentCluster()?.server }));`,
  );
  const kubeconfig = join(app, "kubeconfig");
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:6443" } }],
      users: [{ name: "u", user: { token: "t" } }],
      contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
      "current-context": "x",
    }),
  );
  await bundleFile(entry, join(app, "main.js"));
  const { stdout } = await run(node, [join(app, "main.js"), kubeconfig], { cwd: app });
  assert.equal(JSON.parse(stdout).server, "https://127.0.0.1:6443");
});

test.run();
