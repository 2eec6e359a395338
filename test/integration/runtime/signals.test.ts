// A program on the runtime whose log pipe closes keeps working quietly and still stops on
// SIGTERM; an error nothing caught ends it with a non-zero code after a log line. Run against
// the real control plane, with the sample controller as the program.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { testKubeConfig } from "../../support/kube.ts";
import { outputOf } from "../../support/process.ts";
import { installWidgetCrd } from "../../support/sample.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const sample = join(root, "test", "sample", "main.ts");
const clockTicksPerSecond = 100;

// The sample program watches Widgets: their CRD must exist for its caches to sync.
test.before(() => installWidgetCrd(testKubeConfig()));

function start(args: string[], nodeArgs: string[] = []): ChildProcess {
  return spawn(process.execPath, [
    ...nodeArgs,
    sample,
    "--leader-elect=false",
    "--port=0",
    "--host=127.0.0.1",
    "--namespaces=runtime-signals",
    ...args,
  ], {
    cwd: root,
    env: { ...process.env, KUBECONFIG: process.env.KUBECONFIG_FOR_TESTS },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

const exitOf = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.exitCode !== null || child.signalCode !== null
      ? resolve({ code: child.exitCode, signal: child.signalCode })
      : child.once("exit", (code, signal) => resolve({ code, signal }))
  );

async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((
    _,
    reject,
  ) => (timer = setTimeout(
    () => reject(new Error(`${what}: not within ${ms} ms`)),
    ms,
  )));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** CPU seconds (user + system) the process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "")
    .split(" ");
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
}

test("with stderr closed, the program does not spin, and SIGTERM still stops it with code 0", async () => {
  const child = start(["--log-level=debug"]);
  try {
    await outputOf(child).waitFor(/"caches synced"/, 60_000, "caches synced");
    child.stderr!.destroy(); // the reader goes away, as `| head` does
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const before = cpuSeconds(child.pid!);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const used = cpuSeconds(child.pid!) - before;
    assert.ok(
      used < 1,
      `the process used ${used.toFixed(2)} s of CPU in 3 s with its stderr closed`,
    );
    child.kill("SIGTERM");
    const { code } = await within(exitOf(child), 15_000, "exit after SIGTERM");
    assert.is(code, 0);
  } finally {
    child.kill("SIGKILL");
  }
});

test("an error nothing caught is logged and ends the process with code 70", async () => {
  // A module loaded before the program throws from a timer once the program runs.
  const planted = `data:text/javascript,setTimeout(() => { throw new Error("planted failure"); }, 3000);`;
  const child = start([], ["--import", planted]);
  const output = outputOf(child);
  try {
    const { code } = await within(
      exitOf(child),
      30_000,
      "exit after the uncaught error",
    );
    assert.is(code, 70, output.text().slice(-2000));
    assert.match(output.text(), /"msg":"uncaught exception".*planted failure/);
  } finally {
    child.kill("SIGKILL");
  }
});

test("--help into a closed pipe exits 0", async () => {
  const child = start(["--help"]);
  child.stdout!.once("data", () => child.stdout!.destroy());
  const { code } = await within(exitOf(child), 15_000, "exit after --help");
  assert.is(code, 0);
});

test.run();
