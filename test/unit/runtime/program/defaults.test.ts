// Generic defaults: the runtime serves on 8080 unless a program sets its own default port (the
// Atomix controller keeps the Atomix API's 5679); a finalizer without a program domain is named
// after the parent kind's API group.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { coreFinalizerDomain, finalizerName } from "../../../../runtime/reconcile/finalizers.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..", "..", "..");
const portLine = async (script: string) =>
  (await run(process.execPath, [join(root, script), "--help"], { cwd: root })).stdout.split("\n").find((line) =>
    line.trim().startsWith("--port ")
  );

test("--help shows the runtime's default port, or the program's own", async () => {
  assert.match((await portLine("test/sample/main.ts"))!, /default 8080\)/);
  assert.match((await portLine("main.ts"))!, /default 5679\)/);
});

test("a finalizer is named after the program's domain, else the parent's API group, else the core domain", () => {
  assert.is(finalizerName("k8s.atomix.io", "partitions", "k8s.atomix.io/v1alpha1"), "k8s.atomix.io/partitions");
  assert.is(finalizerName(undefined, "websites", "example.com/v1"), "example.com/websites");
  assert.is(finalizerName(undefined, "config-copies", "v1"), `${coreFinalizerDomain}/config-copies`);
});

test.run();
