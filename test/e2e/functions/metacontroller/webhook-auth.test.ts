// Webhook TLS and credentials against the real control plane, as upstream's webhook-auth example:
// the hooks are an HTTPS server in this process (node:https) that requires a client certificate
// signed by its CA and a bearer token; CompositeControllers reach it through
// spec.endpointConfigs, their CA bundle in a ConfigMap, token and client certificate in Secrets.
// functions/metacontroller/main.ts runs under the metacontroller ServiceAccount, with only the
// RBAC deploy/metacontroller.yaml grants it and a user's aggregated ClusterRole. With the right
// settings the customize and sync hooks (version v2) are called and work; a rotated token is used
// with no restart; a wrong token is refused, which the parent's Warning Event says; a missing
// Secret makes the CompositeController Ready=False naming it, until the Secret appears. The
// certificates are made with openssl in a temporary folder, removed at the end.
import { createServer, type Server } from "node:https";
import type { TLSSocket } from "node:tls";
import * as assert from "uvu/assert";
import { eventually, freshNamespace, testKubeConfig } from "../../../support/kube.ts";
import { kubectl, kubectlOrThrow } from "../../../support/kubectl.ts";
import type { SampleProcess } from "../../../support/sample.ts";
import {
  installMetacontroller,
  looseCrd,
  startMetacontroller,
  userClusterRole,
} from "../../../support/metacontroller.ts";
import { suite } from "../../../support/suite.ts";
import { makeCertificates, type TestCertificates } from "../../../support/tls.ts";

const admin = process.env.KUBECONFIG_FOR_TESTS!;
const test = suite("e2e: webhook CA bundle, client certificate and bearer token from Secrets and ConfigMaps");
const k = (...args: string[]) => kubectlOrThrow(admin, args);
const apply = (yaml: string) => kubectlOrThrow(admin, ["apply", "-f", "-"], yaml);
/** This file's resources carry this label, and its instance runs only the CompositeControllers that do. */
const label = "e2e.example.test/suite=webhook-auth";
let namespace: Awaited<ReturnType<typeof freshNamespace>> | undefined;
let certs: TestCertificates | undefined;
let server: Server | undefined;
let port = 0;
let replica: SampleProcess | undefined;
const ns = () => namespace!.name;

/** The token the hook server takes now, and what it saw of each call. */
let expectedToken = "right-token";
const calls: Array<{ path: string; client: string | undefined; authorization: string | undefined; body: any }> = [];

const crd = looseCrd("auth.example.test", "vaults", "Vault");
const userRbac = userClusterRole("metacontroller-vaults", "auth.example.test", ["vaults"], [
  `{apiGroups: [""], resources: [configmaps], verbs: [list, watch, create, patch, delete]}`,
]);
/** A CompositeController of Vaults labelled auth=<auth>, whose hooks' settings come from one endpointConfigs entry. */
const controller = (name: string, auth: string, tokenSecret: string) =>
  `apiVersion: metacontroller.k8s.io/v1alpha1
kind: CompositeController
metadata: {name: ${name}, labels: {e2e.example.test/suite: webhook-auth}}
spec:
  parentResource:
    apiVersion: auth.example.test/v1
    resource: vaults
    labelSelector: {matchLabels: {auth: ${auth}}}
  childResources: [{apiVersion: v1, resource: configmaps, updateStrategy: {method: InPlace}}]
  endpointConfigs:
  - host: localhost:${port}
    caBundle: {configMapRef: {name: hook-ca, namespace: ${ns()}}}
    authorization: {secretRef: {name: ${tokenSecret}, namespace: ${ns()}, key: token}}
    clientTLS: {secretRef: {name: hook-client, namespace: ${ns()}}}
  hooks:
    customize: {version: v2, webhook: {url: "https://localhost:${port}/customize"}}
    sync: {version: v2, webhook: {url: "https://localhost:${port}/sync"}}
`;
const vault = (name: string, auth: string, message: string) =>
  `apiVersion: auth.example.test/v1
kind: Vault
metadata: {name: ${name}, namespace: ${ns()}, labels: {auth: ${auth}}}
spec: {message: ${JSON.stringify(message)}}
`;
const secret = (name: string, data: Record<string, string>) =>
  JSON.stringify({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: ns() },
    stringData: data,
  });
const configMap = (name: string) =>
  kubectl(admin, ["get", "configmap", name, "-n", ns(), "-o", "json"]).then((r) =>
    r.code === 0 ? JSON.parse(r.stdout) : undefined
  );
const readyOf = async (name: string) => {
  const object = JSON.parse(await k("get", "compositecontroller", name, "-o", "json"));
  return (object.status?.conditions ?? []).find((c: { type: string }) => c.type === "Ready");
};
/** The newest Warning Event about a Vault whose note matches. */
const warning = async (name: string, note: RegExp) => {
  const events = JSON.parse(await k("get", "events.events.k8s.io", "-n", ns(), "-o", "json")).items as Array<
    { type: string; note?: string; regarding?: { kind: string; name: string } }
  >;
  return events.filter((event) =>
    event.type === "Warning" && event.regarding?.kind === "Vault" && event.regarding.name === name &&
    note.test(event.note ?? "")
  ).at(-1);
};

/** The hook server: every call needs a client certificate its CA signed (TLS) and the expected bearer token. */
function startHooks(certificates: TestCertificates): Promise<Server> {
  const hooks = createServer({
    cert: certificates.server.cert,
    key: certificates.server.key,
    ca: certificates.ca.cert,
    requestCert: true,
    rejectUnauthorized: true,
  }, (req, res) => {
    let text = "";
    req.on("data", (chunk) => (text += chunk));
    req.on("end", () => {
      const body = JSON.parse(text || "{}");
      const client = (req.socket as TLSSocket).getPeerCertificate()?.subject?.CN as string | undefined;
      calls.push({ path: req.url ?? "", client, authorization: req.headers.authorization, body });
      res.setHeader("content-type", "application/json");
      if (req.headers.authorization !== `Bearer ${expectedToken}`) {
        res.statusCode = 401;
        res.end(JSON.stringify({ error: "unauthorized: wrong bearer token" }));
      } else if (req.url === "/customize") {
        res.end(
          JSON.stringify({ relatedResources: [{ apiVersion: "v1", resource: "configmaps", names: ["source"] }] }),
        );
      } else {
        const parent = body.parent;
        const related = body.related?.["ConfigMap.v1"] ?? {};
        const source = related[`${parent.metadata.namespace}/source`];
        res.end(JSON.stringify({
          children: [{
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: `${parent.metadata.name}-sealed` },
            data: { message: parent.spec.message, source: source?.data?.greeting ?? "none" },
          }],
          status: { sealed: true, relatedKeys: Object.keys(related) },
        }));
      }
    });
  });
  return new Promise((resolve) => hooks.listen(0, "127.0.0.1", () => resolve(hooks)));
}

test.before(async () => {
  certs = makeCertificates();
  server = await startHooks(certs);
  port = (server.address() as { port: number }).port;
  await installMetacontroller();
  await apply(crd);
  await apply(userRbac);
  await k(
    "wait",
    "--for=condition=Established",
    "crd/vaults.auth.example.test",
    "crd/compositecontrollers.metacontroller.k8s.io",
  );
  namespace = await freshNamespace(testKubeConfig(), "e2e-webhook-auth");
  await apply(secret("hook-token", { token: expectedToken }));
  await apply(secret("hook-wrong-token", { token: "wrong-token" }));
  await apply(secret("hook-client", { "tls.crt": certs.client.cert, "tls.key": certs.client.key }));
  await k("create", "configmap", "hook-ca", "-n", ns(), `--from-literal=ca.crt=${certs.ca.cert}`);
  await k("create", "configmap", "source", "-n", ns(), "--from-literal=greeting=hello from a related object");
  replica = await startMetacontroller("webhook-auth", [`--target-label-selector=${label}`]);
  await eventually("the metacontroller instance to lead", async () => (await replica!.readyz()).leader);
});

test.after(async () => {
  await kubectl(admin, ["delete", "compositecontrollers", "-l", label, "--wait=false"]);
  await replica?.stop();
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  // The Secrets and ConfigMaps holding the token, key and CA go with the namespace.
  await namespace?.remove();
  await kubectl(admin, ["delete", "clusterrole", "metacontroller-vaults", "--ignore-not-found"]);
  certs?.remove();
});

test("with the CA bundle, token and client certificate of endpointConfigs, customize and sync are called and work", async () => {
  await apply(controller("vault-good", "good", "hook-token"));
  const ready = await eventually("vault-good to run", async () => {
    const condition = await readyOf("vault-good");
    return condition?.status === "True" ? condition : undefined;
  });
  assert.is(ready.message, "runs vault-good");
  await apply(vault("good", "good", "first"));
  const child = await eventually("the hook's ConfigMap", () => configMap("good-sealed"));
  assert.equal(child.data, { message: "first", source: "hello from a related object" });
  const parent = await eventually("the hook's status", async () => {
    const object = JSON.parse(await k("get", "vault", "good", "-n", ns(), "-o", "json"));
    return object.status?.sealed ? object : undefined;
  });
  assert.equal(parent.status.relatedKeys, [`${ns()}/source`], "a v2 hook's related keys are namespace/name");
  const seen = calls.filter((call) => call.body?.parent?.metadata?.name === "good");
  assert.ok(seen.some((call) => call.path === "/customize"), "the customize hook was called");
  assert.ok(seen.some((call) => call.path === "/sync"), "the sync hook was called");
  for (const call of seen) {
    assert.is(call.client, "metacontroller", "the client certificate from the Secret was presented");
    assert.is(call.authorization, "Bearer right-token", "the bearer token from the Secret was sent");
  }
});

test("a rotated token is used within seconds, with no restart and no edit of the CompositeController", async () => {
  expectedToken = "rotated-token";
  await apply(secret("hook-token", { token: "rotated-token" }));
  await k("patch", "vault", "good", "-n", ns(), "--type=merge", "-p", '{"spec":{"message":"second"}}');
  const child = await eventually(
    "the ConfigMap answered with the rotated token",
    async () => ((await configMap("good-sealed"))?.data?.message === "second" ? configMap("good-sealed") : undefined),
    { timeoutMs: 90_000 },
  );
  assert.is(child.data.message, "second");
  assert.ok(calls.some((call) => call.authorization === "Bearer rotated-token" && call.path === "/sync"));
});

test("a wrong token is refused: the hook answers 401, the parent's Warning Event says so, and nothing is created", async () => {
  await apply(controller("vault-wrong", "wrong", "hook-wrong-token"));
  await eventually("vault-wrong to run", async () => (await readyOf("vault-wrong"))?.status === "True");
  await apply(vault("wrong", "wrong", "never"));
  const event = await eventually("a Warning Event on the Vault", () => warning("wrong", /answered 401/));
  assert.match(
    event.note!,
    /hook https:\/\/localhost:\d+\/(customize|sync) answered 401: unauthorized: wrong bearer token/,
  );
  assert.ok(calls.some((call) => call.authorization === "Bearer wrong-token"), "the wrong token was sent");
  assert.is(await configMap("wrong-sealed"), undefined);
});

test("a missing Secret makes the CompositeController Ready=False naming it, until the Secret appears", async () => {
  await apply(controller("vault-lost", "lost", "hook-absent"));
  const notReady = await eventually("vault-lost to say what is missing", async () => {
    const condition = await readyOf("vault-lost");
    return condition?.status === "False" ? condition : undefined;
  });
  assert.is(
    notReady.message,
    `spec.endpointConfigs[0].authorization: Secret ${ns()}/hook-absent not found`,
  );
  await apply(secret("hook-absent", { token: expectedToken }));
  await eventually(
    "vault-lost to run once the Secret exists",
    async () => (await readyOf("vault-lost"))?.status === "True",
    { timeoutMs: 90_000 },
  );
  await apply(vault("found", "lost", "found"));
  assert.equal((await eventually("its ConfigMap", () => configMap("found-sealed"))).data.message, "found");
});

test.run();
