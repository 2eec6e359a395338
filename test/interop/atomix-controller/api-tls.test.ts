// TLS on the API port (--tls-cert-file, --tls-private-key-file), with certificates made by
// openssl: grpcurl, grpc-health-probe and curl (HTTP/1.1 and HTTP/2) connect with the CA;
// replacing the files switches new connections to the new certificate; a key that does not
// match its certificate is refused and the previous pair stays. On Node, and on Deno for
// Connect (which has no gRPC).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { promisify } from "node:util";
import * as assert from "uvu/assert";
import { buildGoTool, runTool } from "../../support/goclient.ts";
import { eventually } from "../../support/kube.ts";
import { kubectl } from "../../support/kubectl.ts";
import { type SampleProcess, startSample } from "../../support/sample.ts";
import { serviceAccountKubeconfig } from "../../support/service-account.ts";
import { suite } from "../../support/suite.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..", "..");
const test = suite("interop: TLS on the API port");
const dir = mkdtempSync(join(tmpdir(), "api-tls-"));
// The CA and the server's private key go when the test process exits, pass or fail.
process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
const files = { ca: join(dir, "ca.pem"), cert: join(dir, "tls.crt"), key: join(dir, "tls.key") };
const tools = { grpcurl: "", healthProbe: "" };
const controllers: SampleProcess[] = [];

async function openssl(...args: string[]): Promise<void> {
  await run("openssl", args, { cwd: dir });
}

/** A key and a certificate for 127.0.0.1 signed by the test CA, with this common name. */
async function issue(name: string): Promise<{ cert: string; key: string }> {
  await openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-subj",
    `/CN=${name}`,
    "-out",
    `${name}.csr`,
  );
  writeFileSync(join(dir, `${name}.ext`), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  await openssl(
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.crt`,
  );
  return { cert: readFileSync(join(dir, `${name}.crt`), "utf8"), key: readFileSync(join(dir, `${name}.key`), "utf8") };
}

/** Replaces a file at once (rename), as kubelet swaps a Secret volume's files. */
function replace(path: string, content: string): void {
  writeFileSync(`${path}.new`, content);
  renameSync(`${path}.new`, path);
}

function servedName(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: "127.0.0.1", port, ca: readFileSync(files.ca), servername: "localhost" }, () => {
      resolve(String(socket.getPeerCertificate().subject.CN));
      socket.end();
    });
    socket.on("error", reject);
  });
}

test.before(async () => {
  [tools.grpcurl, tools.healthProbe] = await Promise.all([buildGoTool("grpcurl"), buildGoTool("healthProbe")]);
  await openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-subj",
    "/CN=api-tls-test-ca",
    "-days",
    "1",
    "-out",
    "ca.pem",
  );
  const first = await issue("first");
  writeFileSync(files.cert, first.cert);
  writeFileSync(files.key, first.key);
  const admin = process.env.KUBECONFIG_FOR_TESTS!;
  const created = await kubectl(admin, ["create", "-f", join(root, "deploy", "atomix-controller.yaml")]);
  if (created.code !== 0 && !created.stderr.includes("AlreadyExists")) throw new Error(created.stderr);
});

test.after(async () => {
  await Promise.all(controllers.map((controller) => controller.stop("SIGKILL")));
});

async function start(runtime: "node" | "deno"): Promise<SampleProcess> {
  const kubeconfig = await serviceAccountKubeconfig("atomix-controller", "kube-system");
  const args = ["--leader-elect=false", `--tls-cert-file=${files.cert}`, `--tls-private-key-file=${files.key}`];
  const controller = await startSample({
    script: join(root, "main.ts"),
    identity: `api-tls-${runtime}`,
    kubeconfig,
    args,
    runtime,
  });
  controllers.push(controller);
  return controller;
}

const curl = (port: number, ...args: string[]) =>
  run("curl", ["-sS", "--cacert", files.ca, ...args, `https://127.0.0.1:${port}/readyz`]);

test("Node: grpcurl, grpc-health-probe and curl over TLS; no cleartext on the port", async () => {
  const controller = await start("node");
  const address = `127.0.0.1:${controller.port}`;
  const listed = await runTool(tools.grpcurl, ["-cacert", files.ca, address, "list"]);
  assert.is(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, "atomix.controller.ControllerService");
  await eventually(
    "SERVING over TLS",
    async () => (await runTool(tools.healthProbe, [`-addr=${address}`, "-tls", `-tls-ca-cert=${files.ca}`])).code === 0,
  );
  for (const version of ["--http1.1", "--http2"]) {
    const { stdout } = await curl(controller.port, version, "-o", "/dev/null", "-w", "%{http_code} %{http_version}");
    assert.is(stdout, version === "--http2" ? "200 2" : "200 1.1");
  }
  const { stdout } = await run("curl", [
    "-sS",
    "--cacert",
    files.ca,
    "-H",
    "content-type: application/json",
    "-d",
    '{"namespace":"default"}',
    `https://127.0.0.1:${controller.port}/atomix.database.DatabaseService/GetDatabases`,
  ]);
  assert.equal(JSON.parse(stdout), {});
  const cleartext = await run("curl", ["-sS", "-m", "5", `http://127.0.0.1:${controller.port}/readyz`]).then(
    () => "answered",
    () => "refused",
  );
  assert.is(cleartext, "refused");
});

for (const runtime of ["node", "deno"] as const) {
  test(`${runtime}: replaced files are served to new connections; a mismatched pair is refused and the previous one stays`, async () => {
    const first = await issue("first");
    replace(files.cert, first.cert);
    replace(files.key, first.key);
    const controller = runtime === "node" ? controllers[0]! : await start("deno");
    await eventually("the first certificate", async () => (await servedName(controller.port)) === "first");
    const second = await issue("second");
    replace(files.key, second.key);
    replace(files.cert, second.cert);
    await eventually(
      "the second certificate to be served",
      async () => (await servedName(controller.port)) === "second",
    );
    const refusals = () => controller.logs.filter((line) => line.includes("TLS certificate not reloaded")).length;
    const before = refusals();
    const third = await issue("third");
    replace(files.cert, third.cert);
    await eventually("the mismatched pair to be refused", () => refusals() > before);
    assert.is(await servedName(controller.port), "second");
    const { stdout } = await curl(controller.port, "-o", "/dev/null", "-w", "%{http_code}");
    assert.is(stdout, "200", "still serving");
  });
}

test.run();
