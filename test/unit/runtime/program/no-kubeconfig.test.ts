// A program with no kubeconfig to be found says where it looked and what to do, and exits
// non-zero, instead of retrying for ever against a default server that does not exist.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";

const root = join(import.meta.dirname, "..", "..", "..", "..");
const home = mkdtempSync(join(tmpdir(), "no-kubeconfig-home-"));
test.after(() => rmSync(home, { recursive: true, force: true }));

test("no --kubeconfig, $KUBECONFIG, service account or ~/.kube/config: a clear error and exit code 1", async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  delete env.KUBECONFIG;
  delete env.KUBERNETES_SERVICE_HOST;
  const child = spawn(process.execPath, [join(root, "test", "sample", "main.ts"), "--leader-elect=false", "--port=0"], {
    cwd: root,
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  clearTimeout(timer);
  assert.is(code, 1, stderr);
  assert.match(stderr, /no cluster to connect to/);
  assert.match(stderr, /--kubeconfig/);
  assert.ok(stderr.includes(join(home, ".kube", "config")), stderr);
  assert.not.match(stderr, /HTTP protocol is not allowed/);
});

test.run();
