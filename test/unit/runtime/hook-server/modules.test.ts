// The hook server serving the Atomix functions loads what serving them needs and nothing of a
// controller's engine: no RPC stack, no REST or exec client, no cache, no manager. (The
// functions themselves write storage nodes' configs as protobuf JSON, so @bufbuild/protobuf
// and the Atomix message schemas under gen/atomix are theirs.) A module
// hook records every file the process loads; the test reads the list once the server listens.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadRecorder } from "../../../support/loaded-files.ts";
import { outputOf } from "../../../support/process.ts";

const root = join(import.meta.dirname, "..", "..", "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "hook-server-modules-"));
test.after(() => rmSync(scratch, { recursive: true, force: true }));

/** Starts the hook server with a recorder of loaded files; returns them once it serves, relative to the project. */
async function loadedBy(functions: string): Promise<string[]> {
  const recorder = loadRecorder(scratch, "hook-server");
  const child = spawn(process.execPath, [
    ...recorder.nodeArgs,
    "runtime/hook-server/main.ts",
    "--functions",
    functions,
    "--host",
    "127.0.0.1",
    "--port",
    "0",
  ], {
    cwd: root,
    stdio: ["ignore", "ignore", "pipe"],
  });
  try {
    await outputOf(child).waitFor(/"serving hooks"/, 30_000, "the hook server to serve");
  } finally {
    child.kill("SIGKILL");
  }
  return recorder.loaded();
}

test("serving the Atomix controller's functions loads no RPC stack, REST client, exec client, cache or engine", async () => {
  const loaded = await loadedBy("functions/atomix-controller/controllers.ts");
  const ours = loaded.filter((file) => !file.startsWith("node_modules/"));
  const packages = [
    ...new Set(
      loaded.filter((file) => file.startsWith("node_modules/")).map((file) =>
        file.split("/").slice(1, file.split("/")[1]!.startsWith("@") ? 3 : 2).join("/")
      ),
    ),
  ].sort();
  console.log(`hook server: ${ours.length} project files, packages ${packages.join(", ")}`);
  assert.ok(
    ours.includes("functions/atomix-controller/partition-groups/partition.ts"),
    "the functions themselves are loaded",
  );
  const forbidden = [
    /^runtime\/server\//,
    /^runtime\/kube\/client\.ts$/,
    /^runtime\/exec\//,
    /^runtime\/cache\//,
    /^runtime\/program\/manager\.ts$/,
    /^runtime\/reconcile\/runner\.ts$/,
    /^runtime\/auth\//,
    /^functions\/atomix-controller\/api\//,
    /^gen\/grpc\//,
  ];
  assert.equal(ours.filter((file) => forbidden.some((pattern) => pattern.test(file))), []);
  for (const name of ["@connectrpc/connect", "@connectrpc/connect-node", "@kubernetes/client-node", "undici"]) {
    assert.not.ok(packages.includes(name), `${name} is not loaded`);
  }
});

test.run();
