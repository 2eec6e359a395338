// Runs the sample controller (test/sample) as a real process against the test cluster,
// on Node, Deno or Bun, and reads its health, readiness and metrics over HTTP.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ApiextensionsV1Api, type KubeConfig } from "@kubernetes/client-node";
import * as assert from "uvu/assert";
import { widgetCrd, WidgetKind } from "../sample/widget.ts";
import { KubeClient, KubeError } from "../../runtime/run.ts";
import { builtinKinds, type KubeObject } from "../../runtime/mod.ts";
import { eventually, testKubeConfig } from "./kube.ts";

const root = join(import.meta.dirname, "..", "..");

export interface SampleProcess {
  process: ChildProcess;
  port: number;
  identity: string;
  logs: string[];
  get(path: string): Promise<Response>;
  readyz(): Promise<{ ready: boolean; leader: boolean; leaderIdentity?: string }>;
  /** The sum of a metric's samples whose labels include the given ones. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** Sends a signal and resolves with the exit code (or signal) once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
  exited: Promise<number | string>;
}

export interface SampleOptions {
  /** The program to run; defaults to the sample controller. */
  script?: string;
  /** Restricts watches and holds the Lease in this namespace; all namespaces and kube-system when unset. */
  namespace?: string;
  identity: string;
  runtime?: "node" | "deno" | "bun";
  args?: string[];
  /** Defaults to the shared test cluster. */
  kubeconfig?: string;
  /** Flags for Node before the script (e.g. --import of a tracing setup). */
  nodeArgs?: string[];
  /** More environment variables for the program. */
  env?: Record<string, string>;
}

export async function installWidgetCrd(config: KubeConfig): Promise<void> {
  const api = config.makeApiClient(ApiextensionsV1Api);
  // Raw JSON through the runtime's client: client-node's typed models would drop
  // x-kubernetes-preserve-unknown-fields, and with it the whole status.
  try {
    await new KubeClient(config).create(builtinKinds.CustomResourceDefinition, widgetCrd as unknown as KubeObject);
  } catch (error) {
    if (!(error instanceof KubeError && error.status === 409)) throw error;
  }
  await eventually("the Widget CRD to be established", async () => {
    const crd = await api.readCustomResourceDefinition({ name: widgetCrd.metadata.name });
    return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True");
  });
}

export async function startSample(options: SampleOptions): Promise<SampleProcess> {
  const args = [
    "--port=0",
    "--host=127.0.0.1",
    ...(options.namespace
      ? [`--namespaces=${options.namespace}`, `--leader-election-namespace=${options.namespace}`]
      : []),
    `--identity=${options.identity}`,
    "--log-level=debug",
    ...(options.args ?? []),
  ];
  const script = options.script ?? join(root, "test", "sample", "main.ts");
  const [command, commandArgs] = options.runtime === "deno"
    ? [join(root, "node_modules", ".bin", "deno"), ["run", "--allow-all", "--quiet", script, ...args]]
    : options.runtime === "bun"
    ? [join(root, "node_modules", "bun", "bin", "bun.exe"), [script, ...args]]
    : [process.execPath, [...(options.nodeArgs ?? []), script, ...args]];
  // With setpriv, the sample dies with the test process even when that is killed outright.
  const [program, programArgs] = existsSync("/usr/bin/setpriv")
    ? ["/usr/bin/setpriv", ["--pdeathsig", "SIGKILL", command, ...commandArgs]]
    : [command, commandArgs];
  const child = spawn(program, programArgs, {
    cwd: root,
    env: { ...process.env, KUBECONFIG: options.kubeconfig ?? process.env.KUBECONFIG_FOR_TESTS, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  const exited = new Promise<number | string>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? signal ?? "unknown"))
  );
  let port: number | undefined;
  let buffer = "";
  const collect = (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline: number;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      logs.push(line);
      if (process.env.SAMPLE_LOGS) console.error(`[${options.identity}] ${line}`);
      try {
        const entry = JSON.parse(line);
        if (entry.msg === "serving") port = entry.port;
      } catch {
        // not JSON
      }
    }
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  await eventually(`sample ${options.identity} to serve`, async () => {
    const code = await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 1, undefined))]);
    if (code !== undefined) throw new Error(`sample exited with ${code}:\n${logs.slice(-20).join("\n")}`);
    return port;
  }, { timeoutMs: 30_000 });
  const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`);
  return {
    process: child,
    port: port!,
    identity: options.identity,
    logs,
    get,
    readyz: async () =>
      (await get("/readyz")).json() as Promise<{ ready: boolean; leader: boolean; leaderIdentity?: string }>,
    async metric(name, labels = {}) {
      const text = await (await get("/metrics")).text();
      let sum = 0;
      for (const line of text.split("\n")) {
        const match = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? ([^ ]+)/.exec(line);
        if (!match || match[1] !== name) continue;
        const present = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
        if (Object.entries(labels).every(([key, value]) => present[key] === value)) sum += Number(match[3]);
      }
      return sum;
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    exited,
  };
}

/**
 * The sample controller at work, as the tests of other runtimes check it: it leads, makes the
 * Widget `name`'s two ConfigMaps and its status, and serves health and metrics.
 */
export async function checkSampleWorks(sample: SampleProcess, namespace: string, name: string): Promise<void> {
  const client = new KubeClient(testKubeConfig());
  await eventually(`the ${sample.identity} replica to lead`, async () => (await sample.readyz()).leader);
  await client.create(WidgetKind, {
    apiVersion: WidgetKind.apiVersion,
    kind: "Widget",
    metadata: { name, namespace },
    spec: { replicas: 2, message: `from ${name}` },
  });
  const children = await eventually("2 ConfigMaps", async () => {
    const list = await client.list(builtinKinds.ConfigMap, { namespace, labelSelector: `widget=${name}` });
    return list.items.length === 2 ? list.items : undefined;
  });
  assert.ok(children.every((c) => (c.data as Record<string, string>).message === `from ${name}`));
  const widget = await eventually("the status", async () => {
    const w = await client.get(WidgetKind, namespace, name);
    return (w.status as { configMaps?: number } | undefined)?.configMaps === 2 ? w : undefined;
  });
  assert.is((widget.status as { observedGeneration?: number }).observedGeneration, widget.metadata.generation);
  assert.is(await (await sample.get("/healthz")).text(), "ok");
  assert.ok((await sample.metric("controller_runtime_reconcile_total", { controller: "widgets" })) > 0);
  assert.is(await sample.metric("informer_cached_objects", { kind: "Widget" }), 1);
  assert.ok((await sample.metric("process_resident_memory_bytes")) > 0, "resident memory is reported");
}
