// The hook server on workerd, the Workers runtime from npm: the functions and the handler
// bundle with no `node:` module, a function that needs one is refused naming it, and workerd
// answers a sync exactly as the hook server does in-process on Node.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { stored } from "../../../../runtime/testing.ts";
import { hookApp } from "../../../../runtime/hook-server/serve.ts";
import {
  bundleWorker,
  nodeImports,
  workerdBinary,
  WorkerdBuildError,
  workerdConfig,
} from "../../../../runtime/hook-server/workerd.ts";
import { eventually } from "../../../support/kube.ts";
import { freePort } from "../../../support/process.ts";

const root = join(import.meta.dirname, "..", "..", "..", "..");
const runtimeSources = {
  "@kubefn/runtime": join(root, "runtime", "mod.ts"),
  "@kubefn/runtime/schema": join(root, "runtime", "schema.ts"),
};
const dirs: string[] = [];
const children: ChildProcess[] = [];
const scratch = async () => {
  const dir = await mkdtemp(join(tmpdir(), "workerd-test-"));
  dirs.push(dir);
  return dir;
};

test.after(async () => {
  for (const child of children) child.kill("SIGKILL");
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

test("nodeImports names each node: module a bundle asks for, with the module that asks", () => {
  const bundle = [
    "// node_modules/a/index.js",
    'var fs = require("node:fs");',
    "// src/b.ts",
    'import { x } from "node:util";',
    "const url = 'node:not-an-import';",
  ].join("\n");
  assert.equal(nodeImports(bundle), ["node_modules/a/index.js → node:fs", "src/b.ts → node:util"]);
  assert.equal(nodeImports("// src/c.ts\nexport const c = 1;\n"), []);
});

test("the Atomix functions and the examples' bundle for workerd with web-standard APIs only", async () => {
  const dir = await scratch();
  // The examples import the published package; here it is the runtime's sources.
  const importMap = join(dir, "import-map.json");
  await writeFile(importMap, JSON.stringify({ imports: runtimeSources }));
  const output = await bundleWorker(
    [
      "functions/atomix-controller/controllers.ts",
      "examples/website/website.ts",
      "examples/configmap-propagation/propagation.ts",
    ],
    dir,
    { cwd: root, importMap },
  );
  const bundle = await readFile(output, "utf8");
  assert.equal(nodeImports(bundle), []);
  assert.not.match(bundle, /prom-client/, "the Node-only metrics are left out");
});

test("a function that needs a node: module is refused, naming the module and what it asked for", async () => {
  const dir = await scratch();
  const module = join(dir, "reads-files.ts");
  await writeFile(
    module,
    `import { readFileSync } from "node:fs";
import { controller, builtinKinds } from ${JSON.stringify(join(root, "runtime", "mod.ts"))};
export const reader = controller({
  name: "reader",
  parent: builtinKinds.ConfigMap,
  sync: () => ({ status: { size: readFileSync("/etc/hostname").length } }),
});
`,
  );
  try {
    await bundleWorker([module], dir, { cwd: root });
    assert.unreachable("the bundle must be refused");
  } catch (error) {
    assert.instance(error, WorkerdBuildError);
    assert.match((error as Error).message, /reads-files\.ts → node:fs/);
    assert.match((error as Error).message, /web-standard APIs only/);
  }
});

test("workerd answers a sync as the hook server does in-process", async () => {
  const dir = await scratch();
  const module = join(dir, "greeter.ts");
  await writeFile(
    module,
    `import { builtinKinds, controller } from ${JSON.stringify(join(root, "runtime", "mod.ts"))};
export const greeter = controller({
  name: "greeter",
  parent: builtinKinds.ConfigMap,
  children: [builtinKinds.ConfigMap],
  sync: ({ parent }) => ({
    children: [{
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: parent.metadata.name + "-greeting", namespace: parent.metadata.namespace },
      data: { greeting: "hello " + ((parent as { data?: Record<string, string> }).data?.name ?? "nobody") },
    }],
    status: { greeted: true },
  }),
});
`,
  );
  await bundleWorker([module], dir, { cwd: root });
  const port = await freePort();
  await writeFile(join(dir, "config.capnp"), workerdConfig("127.0.0.1", port));
  const child = spawn(workerdBinary(root), ["serve", join(dir, "config.capnp")], { cwd: dir, stdio: "ignore" });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  await eventually("workerd to answer", async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok);
  const parent = stored({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "ada", namespace: "web" },
    data: { name: "Ada" },
  }, { namespace: "web" });
  const body = JSON.stringify({ controller: { metadata: { name: "greeter" } }, parent, children: {} });
  const post = async (fetcher: (request: Request) => Response | Promise<Response>) => {
    const response = await fetcher(
      new Request(`${url}/sync`, { method: "POST", body, headers: { "content-type": "application/json" } }),
    );
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const { greeter } = await import(module);
  const onWorkerd = await post((request) => fetch(request));
  const inProcess = await post((request) => hookApp([greeter]).fetch(request));
  assert.is(onWorkerd.status, 200);
  assert.equal(onWorkerd, inProcess);
  assert.equal(onWorkerd.body.children[0].data, { greeting: "hello Ada" });
  // A caller's mistake is a 400 there too, with the same message.
  const bad = await fetch(`${url}/sync`, { method: "POST", body: "[1,2" });
  assert.is(bad.status, 400);
  assert.match(((await bad.json()) as { error: string }).error, /request body is not JSON/);
});

test.run();
