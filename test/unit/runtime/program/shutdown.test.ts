// Every program on the runtime stops on SIGTERM, promptly and with code 0, even before its
// caches have synced: here each one runs against an API server address where nothing listens,
// so its lists fail and are retried for as long as it runs. The hook server too.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { freePort, outputOf } from "../../../support/process.ts";

const root = join(import.meta.dirname, "..", "..", "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "shutdown-"));
test.after(() => rmSync(scratch, { recursive: true, force: true }));
/** Within Kubernetes' default grace period of 30 s, with room to spare. */
const graceMs = 15_000;

async function deadKubeconfig(): Promise<string> {
  const path = join(scratch, "kubeconfig");
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{
        name: "dead",
        // A free port: nothing listens there.
        cluster: { server: `https://127.0.0.1:${await freePort()}`, "insecure-skip-tls-verify": true },
      }],
      users: [{ name: "u", user: { token: "t" } }],
      contexts: [{ name: "dead", context: { cluster: "dead", user: "u" } }],
      "current-context": "dead",
    }),
  );
  return path;
}

/** Starts a program, waits for the line that says it is up, sends SIGTERM, and returns its exit code and time to exit. */
async function stopWithSigterm(
  args: string[],
  upLine: RegExp,
): Promise<{ code: number | null; ms: number; log: string }> {
  const child: ChildProcess = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  const output = outputOf(child);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    await output.waitFor(upLine, 30_000, "up");
    const sent = performance.now();
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs * 2);
    const code = await exited;
    clearTimeout(timer);
    return { code, ms: performance.now() - sent, log: output.text() };
  } finally {
    child.kill("SIGKILL");
  }
}

const programs: Array<[string, string[]]> = [
  ["the Atomix controller", ["functions/atomix-controller/main.ts"]],
  ["the Atomix operator", ["functions/atomix-operator/main.ts"]],
  ["the replication operator", ["functions/rss-operator/main.ts"]],
  ["the Metacontroller API", ["functions/metacontroller/main.ts"]],
  ["the sample program", ["test/sample/main.ts"]],
];

for (const [name, script] of programs) {
  test(`${name} stops on SIGTERM with code 0 before its caches sync (API server unreachable)`, async () => {
    const kubeconfig = await deadKubeconfig();
    const { code, ms, log } = await stopWithSigterm(
      [...script, `--kubeconfig=${kubeconfig}`, "--leader-elect=false", "--port=0", "--host=127.0.0.1"],
      /list\/watch failed; retrying/,
    );
    assert.is(code, 0, log.slice(-2000));
    assert.ok(ms < graceMs, `exited ${Math.round(ms)} ms after SIGTERM`);
  });
}

test("the hook server stops on SIGTERM with code 0", async () => {
  const { code, ms, log } = await stopWithSigterm(
    [
      "runtime/hook-server/main.ts",
      "--functions",
      "functions/atomix-controller/controllers.ts",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
    ],
    /"serving hooks"/,
  );
  assert.is(code, 0, log.slice(-2000));
  assert.ok(ms < graceMs, `exited ${Math.round(ms)} ms after SIGTERM`);
});

test.run();
