// Starts and stops a real Kubernetes control plane on loopback: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok with one fake node. Every port is chosen
// free at start, so two clusters can run side by side. Processes are stopped by their
// recorded PIDs, never by name.
//
// kwok also plays the node's kubelet server, so `kubectl exec` into its pods works: the Node
// advertises InternalIP 127.0.0.1 and kwok's port, kube-apiserver dials it over TLS (checking
// kwok's certificate against the cluster CA, presenting its kubelet client certificate), and
// kwok runs the command as a local process chosen by its Exec / ClusterExec objects. A
// ClusterExec "default" runs every pod's commands in <dir>/exec; an Exec named like a pod
// overrides it for that pod.
//
// Pods on the fake node become Running and Ready. Those meant to run to completion (a Job's,
// and any with restartPolicy Never or OnFailure) then end Succeeded, as if their containers
// exited 0: kwok's own stage does it for a Job's pods, the stage below for the others.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { type Binaries, ensureBinaries } from "./build.ts";
import { elapsed, type Log } from "./go.ts";

export const readyTimeoutMs = 90_000;
const stopGraceMs = 5_000;
const pollIntervalMs = 250;
const logTailLines = 40;
/** A kwok stage: a running pod with restartPolicy Never or OnFailure ends Succeeded, its containers exited 0. */
const runToCompletionStage = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: {name: pod-run-to-completion}
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
    - {key: .metadata.deletionTimestamp, operator: DoesNotExist}
    - {key: .status.phase, operator: In, values: [Running]}
    - {key: .spec.restartPolicy, operator: In, values: [Never, OnFailure]}
  next:
    statusTemplate: |
      {{ $now := Now }}
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: false
        restartCount: 0
        started: false
        state:
          terminated: {exitCode: 0, reason: Completed, startedAt: {{ $now | Quote }}, finishedAt: {{ $now | Quote }}}
      {{ end }}
      phase: Succeeded
`;

/** The name of the one node a control plane has: a kwok fake whose pods become Running and Ready without running. */
export const fakeNodeName = "kwok-node-0";
const workdirPrefix = "kubefn-control-plane-";
const serviceClusterIpRange = "10.96.0.0/16";
const podCidr = "10.244.0.0/16";
/** Where kwok's node listens and what its Node advertises: kube-apiserver reaches the "kubelet" here. */
const nodeIp = "127.0.0.1";
/** The ClusterExec that maps every pod's exec to a local process in <dir>/exec. */
export const defaultClusterExec = "default";

const parentDeathSignal = process.platform === "linux" && existsSync("/usr/bin/setpriv");

interface Component {
  name: string;
  process: ChildProcess;
  logFile: string;
  exited: boolean;
  exitCode: number | null;
}

/** A running local control plane, as startControlPlane() returns it. */
export interface Cluster {
  /** Working directory holding credentials, data and logs; removed by stop(). */
  dir: string;
  /** Path of a kubeconfig for a cluster administrator (client certificate), inside `dir`. */
  kubeconfig: string;
  /** The API server's URL, https://127.0.0.1:<port>. */
  server: string;
  /** The binaries it runs, kubectl among them. */
  binaries: Binaries;
  /** Path of a component's log file. */
  logFile(component: string): string;
  /** PID of a running component, for tests that restart one. */
  pid(component: string): number | undefined;
  /** Restarts one component with the same flags (e.g. to test watch recovery). */
  restart(component: string): Promise<void>;
  /** Stops every component (SIGTERM, then SIGKILL after 5 s; etcd last) and removes `dir`. */
  stop(): Promise<void>;
}

/** How startControlPlane() starts a control plane; every field may be left out. */
export interface StartOptions {
  /** Where build and start-up progress goes; default: stderr. */
  log?: Log;
  /** Extra kube-apiserver flags, for tests that need e.g. a tiny watch cache. */
  apiserverFlags?: string[];
  /** Use this kube-apiserver port instead of a free one (tests use it to provoke a bind failure). */
  apiserverPort?: number;
}

/**
 * A component exited during start-up, or did not become ready within 90 seconds. The message
 * names the component and ends with the tail of its log.
 */
export class ComponentError extends Error {}

/**
 * Starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok (one fake node)
 * on loopback ports chosen free, in a new working directory under the system's temporary
 * directory, and resolves once the node is Ready and the default ServiceAccount exists. The
 * binaries are built first if the cache is cold (Go >= 1.26 on PATH; minutes). Working
 * directories left by launchers that were killed are removed first.
 *
 * @param options where progress goes, and extra kube-apiserver flags.
 * @throws ComponentError when a component exits or is not ready in time (everything started is
 *   stopped first); Error when Go is missing or too old, or a build fails.
 */
export async function startCluster(options: StartOptions = {}): Promise<Cluster> {
  const log = options.log ?? ((line: string) => console.error(line));
  const binaries = await ensureBinaries(log);
  const started = Date.now();
  await removeAbandonedClusters();
  const dir = await mkdtemp(join(tmpdir(), workdirPrefix));
  const components = new Map<string, Component>();
  const commands = new Map<string, string[]>();
  const pidsFile = join(dir, "pids.json");

  const recordPids = () =>
    writeFile(
      pidsFile,
      JSON.stringify(Object.fromEntries([...components].map(([name, c]) => [name, c.process.pid])), null, 2),
    );

  const launch = async (name: string, args: string[]) => {
    const logFile = join(dir, `${name}.log`);
    const fd = openSync(logFile, "a");
    // setpriv execs the component with a parent-death signal, so a launcher that is killed
    // outright (SIGKILL, a crashed test runner) takes its components with it.
    const [command, ...rest] = parentDeathSignal ? ["setpriv", "--pdeathsig", "SIGKILL", ...args] : args;
    const child = spawn(command!, rest, { cwd: dir, stdio: ["ignore", fd, fd] });
    closeSync(fd);
    const component: Component = { name, process: child, logFile, exited: false, exitCode: null };
    child.on("exit", (code, signal) => {
      component.exited = true;
      component.exitCode = code ?? (signal ? 128 : null);
    });
    child.on("error", () => {
      component.exited = true;
    });
    components.set(name, component);
    commands.set(name, args);
    await recordPids();
  };

  const stopAll = async () => {
    // Everything that talks to etcd goes first, so the API server can shut down cleanly.
    const running = [...components.values()];
    await Promise.all(running.filter((c) => c.name !== "etcd").map((component) => stopComponent(component)));
    await Promise.all(running.filter((c) => c.name === "etcd").map((component) => stopComponent(component)));
    components.clear();
    await rm(dir, { recursive: true, force: true });
  };

  /** Fails fast, naming the component and its log, when any component has died. */
  const checkAlive = () => {
    for (const component of components.values()) {
      if (component.exited) {
        throw new ComponentError(
          `${component.name} exited (code ${component.exitCode}) during start-up; its log is ${component.logFile}:\n${
            tail(component.logFile)
          }`,
        );
      }
    }
  };

  try {
    await capture(binaries.pki, ["-dir", dir]);
    const [etcdClient, etcdPeer, freeApiserverPort, kcmPort, schedulerPort, kwokPort] = await freePorts(6);
    const apiserverPort = options.apiserverPort ?? freeApiserverPort;
    const server = `https://127.0.0.1:${apiserverPort}`;
    const ca = await readFile(join(dir, "ca.crt"), "utf8");
    for (const identity of ["admin", "controller-manager", "scheduler"]) {
      await writeFile(join(dir, `${identity}.kubeconfig`), kubeconfigYaml(server, ca, dir, identity));
    }

    await launch("etcd", [
      binaries.etcd,
      "--name=default",
      `--data-dir=${join(dir, "etcd-data")}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
      "--unsafe-no-fsync=true",
      "--log-level=warn",
    ]);
    await launch("kube-apiserver", [
      binaries.kubeApiserver,
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiserverPort}`,
      `--cert-dir=${dir}`,
      `--tls-cert-file=${join(dir, "apiserver.crt")}`,
      `--tls-private-key-file=${join(dir, "apiserver.key")}`,
      `--client-ca-file=${join(dir, "ca.crt")}`,
      "--authorization-mode=Node,RBAC",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${join(dir, "sa.pub")}`,
      `--service-account-signing-key-file=${join(dir, "sa.key")}`,
      `--service-cluster-ip-range=${serviceClusterIpRange}`,
      "--allow-privileged=true",
      "--kubelet-preferred-address-types=InternalIP",
      `--kubelet-certificate-authority=${join(dir, "ca.crt")}`,
      `--kubelet-client-certificate=${join(dir, "apiserver-kubelet-client.crt")}`,
      `--kubelet-client-key=${join(dir, "apiserver-kubelet-client.key")}`,
      "--profiling=false",
      "--v=1",
      ...(options.apiserverFlags ?? []),
    ]);
    await waitFor(
      "kube-apiserver /readyz",
      checkAlive,
      () => get(server, dir, "/readyz").then((r) => r.status === 200),
      join(dir, "kube-apiserver.log"),
    );

    await launch("kube-controller-manager", [
      binaries.kubeControllerManager,
      `--kubeconfig=${join(dir, "controller-manager.kubeconfig")}`,
      `--authentication-kubeconfig=${join(dir, "controller-manager.kubeconfig")}`,
      `--authorization-kubeconfig=${join(dir, "controller-manager.kubeconfig")}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${kcmPort}`,
      `--cert-dir=${join(dir, "kcm-certs")}`,
      "--controllers=*,bootstrapsigner,tokencleaner",
      "--use-service-account-credentials=true",
      `--service-account-private-key-file=${join(dir, "sa.key")}`,
      `--root-ca-file=${join(dir, "ca.crt")}`,
      `--cluster-signing-cert-file=${join(dir, "ca.crt")}`,
      `--cluster-signing-key-file=${join(dir, "ca.key")}`,
      `--service-cluster-ip-range=${serviceClusterIpRange}`,
      "--leader-elect=false",
      "--profiling=false",
      "--v=1",
    ]);
    await launch("kube-scheduler", [
      binaries.kubeScheduler,
      `--kubeconfig=${join(dir, "scheduler.kubeconfig")}`,
      `--authentication-kubeconfig=${join(dir, "scheduler.kubeconfig")}`,
      `--authorization-kubeconfig=${join(dir, "scheduler.kubeconfig")}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${schedulerPort}`,
      `--cert-dir=${join(dir, "scheduler-certs")}`,
      "--leader-elect=false",
      "--profiling=false",
      "--v=1",
    ]);
    // kwok watches its Exec and ClusterExec kinds but does not install them.
    await installExecCrds(server, dir, binaries.kwokExecCrds, checkAlive);
    await mkdir(join(dir, "exec"));
    await createOrThrow(server, dir, "/apis/kwok.x-k8s.io/v1alpha1/clusterexecs", {
      apiVersion: "kwok.x-k8s.io/v1alpha1",
      kind: "ClusterExec",
      metadata: { name: defaultClusterExec },
      spec: { execs: [{ local: { workDir: join(dir, "exec") } }] },
    });
    await writeFile(join(dir, "kwok-run-to-completion.yaml"), runToCompletionStage);
    await launch("kwok", [
      binaries.kwok,
      `--kubeconfig=${join(dir, "admin.kubeconfig")}`,
      `--config=${binaries.kwokStages}`,
      `--config=${join(dir, "kwok-run-to-completion.yaml")}`,
      "--manage-all-nodes=false",
      "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
      `--cidr=${podCidr}`,
      `--node-ip=${nodeIp}`,
      `--node-port=${kwokPort}`,
      "--node-lease-duration-seconds=40",
      `--server-address=${nodeIp}:${kwokPort}`,
      `--tls-cert-file=${join(dir, "kubelet.crt")}`,
      `--tls-private-key-file=${join(dir, "kubelet.key")}`,
      "--enable-crds=Exec,ClusterExec",
    ]);
    await createFakeNode(server, dir);
    await waitFor(
      `node ${fakeNodeName} Ready without taints`,
      checkAlive,
      () => nodeReady(server, dir),
      join(dir, "kwok.log"),
    );
    await waitFor(
      "the default ServiceAccount",
      checkAlive,
      () => get(server, dir, "/api/v1/namespaces/default/serviceaccounts/default").then((r) => r.status === 200),
      join(dir, "kube-controller-manager.log"),
    );
    log(`[cluster] ready in ${elapsed(started)}: ${server} (working directory ${dir})`);

    return {
      dir,
      kubeconfig: join(dir, "admin.kubeconfig"),
      server,
      binaries,
      logFile: (name) => join(dir, `${name}.log`),
      pid: (name) => {
        const component = components.get(name);
        return component && !component.exited ? component.process.pid : undefined;
      },
      async restart(name) {
        const component = components.get(name);
        const args = commands.get(name);
        if (!component || !args) throw new Error(`no component named ${name}`);
        await stopComponent(component);
        await launch(name, args);
        if (name === "kube-apiserver") {
          await waitFor(
            "kube-apiserver /readyz",
            checkAlive,
            () => get(server, dir, "/readyz").then((r) => r.status === 200),
          );
        }
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Removes working directories left by launchers that were killed outright and whose processes are all gone. */
async function removeAbandonedClusters(): Promise<void> {
  for (const entry of await readdir(tmpdir())) {
    if (!entry.startsWith(workdirPrefix)) continue;
    const dir = join(tmpdir(), entry);
    try {
      const pids = Object.values(JSON.parse(await readFile(join(dir, "pids.json"), "utf8"))) as number[];
      if (pids.some(alive)) continue;
      await rm(dir, { recursive: true, force: true });
    } catch {
      // Starting up, or not ours to judge.
    }
  }
}

/** Whether a process with this PID exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(
  what: string,
  checkAlive: () => void,
  probe: () => Promise<boolean>,
  logFile?: string,
): Promise<void> {
  const deadline = Date.now() + readyTimeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    checkAlive();
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error;
    }
    await sleep(pollIntervalMs);
  }
  checkAlive();
  throw new ComponentError(
    `timed out after ${readyTimeoutMs / 1000}s waiting for ${what}${
      lastError ? ` (last error: ${(lastError as Error).message})` : ""
    }` +
      (logFile ? `; the tail of ${logFile}:\n${tail(logFile)}` : ""),
  );
}

function stopComponent(component: Component): Promise<void> {
  const pid = component.process.pid;
  if (component.exited || pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => signal(pid, "SIGKILL"), stopGraceMs);
    component.process.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    signal(pid, "SIGTERM");
  });
}

function signal(pid: number, name: NodeJS.Signals) {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

export function tail(file: string, lines = logTailLines): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log written)";
  }
}

/** Picks free loopback ports by binding port 0; all are held until every one is chosen. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      return new Promise<import("node:net").Server>((resolve, reject) => {
        const server = createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve(server));
      });
    }),
  );
  const ports = servers.map((server) => (server.address() as import("node:net").AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function kubeconfigYaml(server: string, ca: string, dir: string, identity: string): string {
  const b64 = (text: string) => Buffer.from(text).toString("base64");
  const cert = readFileSync(join(dir, `${identity}.crt`), "utf8");
  const key = readFileSync(join(dir, `${identity}.key`), "utf8");
  return `apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: ${server}
    certificate-authority-data: ${b64(ca)}
users:
- name: ${identity}
  user:
    client-certificate-data: ${b64(cert)}
    client-key-data: ${b64(key)}
contexts:
- name: local
  context:
    cluster: local
    user: ${identity}
    namespace: default
current-context: local
`;
}

interface Response {
  status: number;
  body: string;
}

function call(server: string, dir: string, method: string, path: string, body?: unknown): Promise<Response> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, server);
    const req = request(
      url,
      {
        method,
        ca: readFileSync(join(dir, "ca.crt")),
        cert: readFileSync(join(dir, "admin.crt")),
        key: readFileSync(join(dir, "admin.key")),
        headers: body === undefined ? {} : { "content-type": "application/json" },
        timeout: 5_000,
      },
      (res) => {
        let text = "";
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const get = (server: string, dir: string, path: string) => call(server, dir, "GET", path);

async function createOrThrow(server: string, dir: string, path: string, object: unknown): Promise<void> {
  const created = await call(server, dir, "POST", path, object);
  if (created.status !== 201 && created.status !== 409) {
    throw new ComponentError(`POST ${path} failed: HTTP ${created.status} ${created.body}`);
  }
}

/** Creates kwok's Exec and ClusterExec CRDs and waits until both are established. */
async function installExecCrds(server: string, dir: string, file: string, checkAlive: () => void): Promise<void> {
  const crds = parseAllDocuments(await readFile(file, "utf8")).map((doc) =>
    doc.toJS() as { metadata: { name: string } }
  );
  for (const crd of crds) {
    await createOrThrow(server, dir, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
  }
  for (const crd of crds) {
    await waitFor(`CRD ${crd.metadata.name} established`, checkAlive, async () => {
      const response = await get(
        server,
        dir,
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
      );
      const conditions = response.status === 200 ? (JSON.parse(response.body).status?.conditions ?? []) : [];
      return conditions.some((c: { type: string; status: string }) => c.type === "Established" && c.status === "True");
    });
  }
}

async function createFakeNode(server: string, dir: string): Promise<void> {
  const node = {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: fakeNodeName,
      annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
      labels: {
        "kubernetes.io/hostname": fakeNodeName,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "node-role.kubernetes.io/agent": "",
        type: "kwok",
      },
    },
    spec: {},
    status: {
      allocatable: { cpu: "64", memory: "256Gi", pods: "1000" },
      capacity: { cpu: "64", memory: "256Gi", pods: "1000" },
    },
  };
  const created = await call(server, dir, "POST", "/api/v1/nodes", node);
  if (created.status !== 201 && created.status !== 409) {
    throw new ComponentError(`creating the fake node failed: HTTP ${created.status} ${created.body}`);
  }
}

async function nodeReady(server: string, dir: string): Promise<boolean> {
  const response = await get(server, dir, `/api/v1/nodes/${fakeNodeName}`);
  if (response.status !== 200) return false;
  const node = JSON.parse(response.body);
  const ready = (node.status?.conditions ?? []).some((c: { type: string; status: string }) =>
    c.type === "Ready" && c.status === "True"
  );
  return ready && (node.spec?.taints ?? []).length === 0;
}

function capture(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.stderr.on("data", (chunk) => (out += chunk));
    child.on("error", reject);
    child.on(
      "close",
      (code) => (code === 0 ? resolve(out) : reject(new ComponentError(`${command} exited ${code}: ${out.trim()}`))),
    );
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
