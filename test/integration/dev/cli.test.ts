// The kubefn command's long-running subcommands as a user runs them: `kubefn hooks` serves a
// module's controllers until SIGTERM, and `kubefn cluster` starts a control plane of its own,
// prints its KUBECONFIG, answers kubectl, and on SIGTERM stops every component and removes
// its working directory. (new, manifests and dev are tried from a packed tarball in
// test/integration/package/consumer.test.ts.)
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { WidgetKind } from "../../sample/widget.ts";
import { eventually } from "../../support/kube.ts";
import { kubectl } from "../../support/kubectl.ts";
import { suite } from "../../support/suite.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const cli = join(root, "runtime", "cli", "main.ts");
const test = suite("kubefn hooks and kubefn cluster");

interface Run {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | string>;
}

function kubefn(args: string[]): Run {
  const command = [process.execPath, cli, ...args];
  // With setpriv, the command dies with the test process even when that is killed outright.
  const [program, programArgs] = existsSync("/usr/bin/setpriv")
    ? ["/usr/bin/setpriv", ["--pdeathsig", "SIGKILL", ...command]]
    : [command[0]!, command.slice(1)];
  const child = spawn(program, programArgs, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk));
  const exited = new Promise<number | string>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? signal ?? "unknown"))
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

const widget = {
  apiVersion: WidgetKind.apiVersion,
  kind: "Widget",
  metadata: { name: "w", namespace: "ns", generation: 1 },
  spec: { message: "hi" },
};

test("kubefn hooks: serves a module's controllers, answers a sync, stops on SIGTERM with code 0", async () => {
  const hooks = kubefn(["hooks", "--functions=test/sample/ping-widget.ts", "--host=127.0.0.1", "--port=0"]);
  try {
    const port = await eventually("kubefn hooks to serve", () => {
      if (hooks.child.exitCode !== null) throw new Error(`kubefn hooks exited: ${hooks.stderr()}`);
      return /"serving hooks","port":(\d+),"controllers":\["ping-widgets"\]/.exec(hooks.stderr())?.[1];
    }, { timeoutMs: 30_000 });
    const response = await fetch(`http://127.0.0.1:${port}/ping-widgets/sync`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ parent: widget, children: {}, related: {} }),
    });
    assert.is(response.status, 200);
    const answer = await response.json() as { children: Array<{ metadata: { name: string }; data: unknown }> };
    assert.equal(answer.children.map((child) => [child.metadata.name, child.data]), [["w-ping", { message: "hi" }]]);
    hooks.child.kill("SIGTERM");
    assert.is(await hooks.exited, 0);
  } finally {
    hooks.child.kill("SIGKILL");
  }
});

test("kubefn hooks: no --functions is a usage error (code 2) that says what is missing", async () => {
  const hooks = kubefn(["hooks"]);
  assert.is(await hooks.exited, 2);
  assert.match(hooks.stderr(), "--functions is required");
});

test("kubefn with an unknown command: code 2, the message and the usage", async () => {
  const run = kubefn(["deploy"]);
  assert.is(await run.exited, 2);
  assert.match(run.stderr(), 'unknown command "deploy"');
  assert.match(run.stderr(), "kubefn cluster [--build-only]");
});

test("kubefn cluster: a control plane of its own that kubectl reaches; SIGTERM stops it and cleans up", async () => {
  const cluster = kubefn(["cluster"]);
  try {
    const kubeconfig = await eventually("kubefn cluster to print its KUBECONFIG", () => {
      if (cluster.child.exitCode !== null) throw new Error(`kubefn cluster exited: ${cluster.stderr()}`);
      return /^export KUBECONFIG=(\S+)$/m.exec(cluster.stdout())?.[1];
    }, { timeoutMs: 600_000 });
    assert.is.not(kubeconfig, process.env.KUBECONFIG_FOR_TESTS, "not the shared test cluster");
    const dir = /logs are in (\S+);/.exec(cluster.stderr())?.[1];
    assert.ok(dir && existsSync(dir), `its working directory exists: ${cluster.stderr()}`);
    const ready = await kubectl(kubeconfig, ["get", "--raw", "/readyz"]);
    assert.is(ready.stdout.trim(), "ok");
    const nodes = await eventually("a kwok node to be Ready", async () => {
      const result = await kubectl(kubeconfig, [
        "get",
        "nodes",
        "-o",
        "jsonpath={.items[*].status.conditions[?(@.type=='Ready')].status}",
      ]);
      return result.stdout.includes("True") ? result.stdout : undefined;
    });
    assert.match(nodes, "True");
    cluster.child.kill("SIGTERM");
    assert.is(await cluster.exited, 0);
    assert.match(cluster.stderr(), "stopped; working directory removed");
    assert.is(existsSync(dir!), false, "the working directory is gone");
  } finally {
    cluster.child.kill("SIGKILL");
  }
});

test("kubefn cluster --build-only: the cached build, nothing started", async () => {
  const build = kubefn(["cluster", "--build-only"]);
  assert.is(await build.exited, 0);
  assert.match(build.stderr(), "[cluster] built: ");
  assert.is(build.stdout(), "", "no KUBECONFIG: nothing runs");
});

test.run();
