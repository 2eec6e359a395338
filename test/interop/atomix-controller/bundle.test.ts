// The image runs each product bundled into one file (dev/bundle.ts, deploy/Containerfile). Laid
// out as in the image (package.json and node_modules beside it) and run with the image's flags
// under its ServiceAccount, the bundled Atomix controller leads, turns a PartitionGroup into
// Partitions and StatefulSets, answers the API over Connect JSON (curl) and gRPC (buf curl,
// h2c), and loads nothing from disk but its bundle, the client-node stand-ins beside it and
// @kubernetes/client-node's package.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import * as assert from "uvu/assert";
import { besideRepositoryPackages, bundleProducts } from "../../../dev/bundle.ts";
import { startAtomixController } from "../../support/atomix.ts";
import { eventually, freshNamespace, testKubeConfig } from "../../support/kube.ts";
import { kubectlOrThrow } from "../../support/kubectl.ts";
import { type LoadRecorder, loadRecorder } from "../../support/loaded-files.ts";
import type { SampleProcess } from "../../support/sample.ts";
import { curlJson } from "../../support/curl-json.ts";
import { suite } from "../../support/suite.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..", "..");
const test = suite("interop: the bundled Atomix controller, as the image runs it");
const scratch = mkdtempSync(join(tmpdir(), "atomix-bundle-"));
const app = join(scratch, "app");
const service = "atomix.controller.ControllerService";
let controller: SampleProcess | undefined;
let namespace: Awaited<ReturnType<typeof freshNamespace>> | undefined;
let recorder: LoadRecorder;

test.before(async () => {
  await bundleProducts(app);
  besideRepositoryPackages(app);
  recorder = loadRecorder(scratch, "bundled-controller");
  controller = (await startAtomixController("atomix-bundled", "leader", {
    script: join(app, "main.js"),
    nodeArgs: ["--max-semi-space-size=1", ...recorder.nodeArgs],
  })).controller;
  namespace = await freshNamespace(testKubeConfig(), "bundle");
});

test.after(async () => {
  await controller?.stop();
  await namespace?.remove();
  rmSync(scratch, { recursive: true, force: true });
});

const curl = (method: string, body: unknown) =>
  curlJson(`http://127.0.0.1:${controller!.port}/${service}/${method}`, body);

const count = async (resource: string) =>
  (await kubectlOrThrow(process.env.KUBECONFIG_FOR_TESTS!, ["get", resource, "-n", namespace!.name, "-o", "name"]))
    .split("\n").filter(Boolean).length;

test("it reconciles a PartitionGroup made through the API, and answers over Connect JSON and gRPC", async () => {
  const created = await curl("CreatePartitionGroup", {
    id: { name: "raft", namespace: namespace!.name },
    spec: {
      partitions: 2,
      partitionSize: 1,
      protocol: { "@type": "type.googleapis.com/atomix.protocols.raft.RaftProtocol", electionTimeout: "5s" },
    },
  });
  assert.equal(created, { status: 200, json: {} });
  await eventually(
    "the group's 2 Partitions and their StatefulSets",
    async () => (await count("partitions.k8s.atomix.io")) === 2 && (await count("statefulsets")) === 2,
  );
  const { stdout } = await run(join(root, "node_modules", ".bin", "buf"), [
    "curl",
    "--schema",
    root,
    "--protocol",
    "grpc",
    "--http2-prior-knowledge",
    "-d",
    JSON.stringify({ id: { namespace: namespace!.name } }),
    `http://127.0.0.1:${controller!.port}/${service}/GetPartitionGroups`,
  ], { cwd: root });
  const groups = (JSON.parse(stdout) as { groups: Array<{ id: { name: string }; partitions: unknown[] }> }).groups;
  assert.equal(groups.map((group) => [group.id.name, group.partitions.length]), [["raft", 2]]);
  const metrics = await controller!.get("/metrics");
  assert.is(metrics.status, 200);
  assert.match(await metrics.text(), "controller_runtime_reconcile_total");
});

test("it loads from disk only its bundle, the stand-ins beside it and client-node's package", () => {
  const loaded = recorder.loaded().map((file) => file.startsWith("..") ? relative(app, join(root, file)) : file);
  const ours = loaded.filter((file) => !file.startsWith("node_modules/"));
  assert.equal(ours.sort(), [
    "client-node/generated-api.js",
    "client-node/oidc.js",
    "client-node/proxies.js",
    "client-node/undici.js",
    "main.js",
  ]);
  const bundled = ["@bufbuild/", "@connectrpc/", "hono/", "@hono/", "prom-client/", "yaml/", "undici/"];
  const packages = loaded.filter((file) => bundled.some((name) => file.startsWith(`node_modules/${name}`)));
  assert.equal(packages, [], "packages the bundle carries are not loaded again from node_modules");
  assert.ok(loaded.some((file) => file.startsWith("node_modules/@kubernetes/client-node/")));
});

test.run();
