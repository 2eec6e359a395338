// Upstream Metacontroller's command line read as this runtime's: the args its own manifests
// pass, Go's flag spellings, each flag's equivalent here, every refusal's message, the Lease a
// selector gets; and, run as a process, exit code 2 with the flag named, --help listing
// upstream's flags, and upstream's production args serving /healthz where its probes look.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  FlagError,
  listenAddress,
  readUpstreamFlags,
  upstreamFlags,
  upstreamUsage,
} from "../../../../functions/metacontroller/upstream-flags.ts";
import {
  defaultHealthPort,
  defaultWorkers,
  metacontroller,
  metacontrollerProgram,
  selectorLeaseName,
} from "../../../../functions/metacontroller/program.ts";
import { freePort, outputOf } from "../../../support/process.ts";

const root = join(import.meta.dirname, "..", "..", "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "upstream-flags-"));
test.after(() => rmSync(scratch, { recursive: true, force: true }));

const read = (...argv: string[]) => readUpstreamFlags(argv);
const refusal = (argv: string[]): string => {
  try {
    readUpstreamFlags(argv);
  } catch (error) {
    assert.instance(error, FlagError);
    return (error as Error).message;
  }
  assert.unreachable(`${argv.join(" ")} was not refused`);
  return "";
};

test("upstream's production StatefulSet args: --zap-log-level=4 is debug, --discovery-interval is accepted", () => {
  assert.equal(read("--zap-log-level=4", "--discovery-interval=20s"), {
    argv: ["--log-level=debug"],
    noEffect: { "discovery-interval": "20s" },
  });
});

test("upstream's Helm chart default args: the probe address becomes --host and --port", () => {
  const reading = read(
    "--zap-log-level=4",
    "--discovery-interval=20s",
    "--cache-flush-interval=30m",
    "--health-probe-bind-address=:8081",
  );
  assert.equal(reading.argv, ["--log-level=debug", "--host=0.0.0.0", "--port=8081"]);
  assert.equal(reading.noEffect, { "discovery-interval": "20s", "cache-flush-interval": "30m" });
});

test("upstream's dev args: --zap-devel is debug, --zap-log-level=5 too", () => {
  assert.equal(read("--zap-devel", "--zap-log-level=5", "--discovery-interval=5s").argv, [
    "--log-level=debug",
    "--log-level=debug",
  ]);
});

test("upstream's Helm CI args, but for --pprof-address, are read: workers, metrics address, no-effect flags", () => {
  const reading = read(
    "--zap-log-level=4",
    "--zap-devel=false",
    "--zap-encoder=json",
    "--zap-stacktrace-level=error",
    "--discovery-interval=1m",
    "--cache-flush-interval=10m",
    "--metrics-address=:9999",
    "--client-go-qps=150",
    "--client-go-burst=300",
    "--workers=50",
    "--events-qps=0.0033",
    "--events-burst=25",
  );
  assert.equal(reading.argv, ["--log-level=debug", "--concurrency=50"]);
  assert.equal(reading.metricsAddress, { host: "", port: 9999 });
  assert.equal(reading.noEffect, {
    "zap-stacktrace-level": "error",
    "discovery-interval": "1m",
    "cache-flush-interval": "10m",
    "client-go-qps": "150",
    "client-go-burst": "300",
    "events-qps": "0.0033",
    "events-burst": "25",
  });
});

test("upstream's leader-election example: --leader-election is --leader-elect=true, =false turns it off", () => {
  assert.equal(read("--leader-election").argv, ["--leader-elect=true"]);
  assert.equal(read("--leader-election=false").argv, ["--leader-elect=false"]);
  assert.equal(read("-leader-election=f").argv, ["--leader-elect=false"]);
  assert.equal(read("--leader-election=T").argv, ["--leader-elect=true"]);
  assert.equal(read("--leader-election=0").argv, ["--leader-elect=false"]);
});

test("Go's spellings: -flag, --flag value, -flag value, and a bare bool that takes no value", () => {
  const reading = read(
    "-workers",
    "7",
    "--target-label-selector",
    "team in (a, b),!legacy",
    "-zap-log-level",
    "info",
    "-leader-election",
    "-leader-election-id",
    "instance-a",
    "--leader-election-namespace",
    "ops",
    "-kubeconfig=/etc/kube/config",
  );
  assert.equal(reading.argv, [
    "--concurrency=7",
    "--log-level=info",
    "--leader-elect=true",
    "--leader-election-id=instance-a",
    "--leader-election-namespace=ops",
    "--kubeconfig=/etc/kube/config",
  ]);
  assert.is(reading.targetLabelSelector?.canonical, "!legacy,team in (a,b)");
  // A bare boolean never takes the next argument: it stays, for the runtime to refuse.
  assert.equal(read("--leader-election", "false").argv, ["--leader-elect=true", "false"]);
  assert.equal(read("--zap-devel", "--zap-log-level=info").argv, ["--log-level=debug", "--log-level=info"]);
  // A non-bool flag takes the next argument, whatever it looks like.
  assert.is(read("--target-label-selector", "!legacy").targetLabelSelector?.canonical, "!legacy");
});

test("the runtime's own flags pass through, and may be spelled with one dash", () => {
  assert.equal(read("--port=0", "--leader-elect", "false", "-host=127.0.0.1", "--identity", "me").argv, [
    "--port=0",
    "--leader-elect",
    "false",
    "--host=127.0.0.1",
    "--identity",
    "me",
  ]);
  // Names of Object's own properties are no upstream flags either.
  assert.equal(read("--constructor", "-toString=x").argv, ["--constructor", "--toString=x"]);
  assert.equal(read("-h").argv, ["--help"]);
  assert.equal(read("-help").argv, ["--help"]);
  assert.equal(read("--help").argv, ["--help"]);
});

test("an upstream flag and its runtime equivalent are one setting: they stay in order, so the last wins", () => {
  assert.equal(read("--concurrency=2", "--workers=9").argv, ["--concurrency=2", "--concurrency=9"]);
  assert.equal(read("--workers=9", "--concurrency=2").argv, ["--concurrency=9", "--concurrency=2"]);
  assert.equal(read("--health-probe-bind-address=127.0.0.1:9000", "--port=0").argv, [
    "--host=127.0.0.1",
    "--port=9000",
    "--port=0",
  ]);
  // --zap-devel yields to any level flag, before or after it; a later --zap-devel=false undoes it.
  assert.equal(read("--log-level=warn", "--zap-devel").argv, ["--log-level=debug", "--log-level=warn"]);
  assert.equal(read("--zap-devel", "--zap-devel=false").argv, []);
});

test("--zap-log-level: words and numbers >= 1", () => {
  const level = (value: string) => read(`--zap-log-level=${value}`).argv;
  assert.equal(level("debug"), ["--log-level=debug"]);
  assert.equal(level("INFO"), ["--log-level=info"]);
  assert.equal(level("error"), ["--log-level=error"]);
  assert.equal(level("panic"), ["--log-level=error"]);
  assert.equal(level("1"), ["--log-level=debug"]);
  assert.equal(level("10"), ["--log-level=debug"]);
});

test("the flags with the same meaning as here are accepted without a note", () => {
  const reading = read(
    "--pprof-address=0",
    "--leader-election-resource-lock=leases",
    "--apply-strategy=dynamic-apply",
    "--zap-encoder=JSON",
  );
  assert.equal(reading, { argv: [], noEffect: {} });
});

test("--apply-strategy-ssa-field-manager and --zap-time-encoding are accepted, noted as changing nothing", () => {
  assert.equal(read("--apply-strategy-ssa-field-manager=me", "--zap-time-encoding=RFC3339Nano").noEffect, {
    "apply-strategy-ssa-field-manager": "me",
    "zap-time-encoding": "rfc3339nano",
  });
});

test("--target-label-selector: parsed, blank means every resource, the last one given wins", () => {
  const reading = read("--target-label-selector=team=a", "--target-label-selector=team in (b,c)");
  assert.equal(reading.targetLabelSelector, {
    text: "team in (b,c)",
    selector: { matchExpressions: [{ key: "team", operator: "In", values: ["b", "c"] }] },
    canonical: "team in (b,c)",
  });
  assert.is(read("--target-label-selector=").targetLabelSelector, undefined);
  assert.is(read("--target-label-selector=team=a", "--target-label-selector= ").targetLabelSelector, undefined);
});

test("listen addresses as Go writes them", () => {
  assert.equal(listenAddress("x", ":8081"), { host: "", port: 8081 });
  assert.equal(listenAddress("x", "127.0.0.1:0"), { host: "127.0.0.1", port: 0 });
  assert.equal(listenAddress("x", "[::1]:9999"), { host: "::1", port: 9999 });
  assert.equal(listenAddress("x", "localhost:80"), { host: "localhost", port: 80 });
  for (const bad of ["8081", ":http", ":70000", "::1:80", ""]) {
    assert.throws(() => listenAddress("x", bad), /--x must be an address such as :8081/, bad);
  }
});

/** [argv, the message, whole] — each refusal names the flag and what is supported. */
const refusals: Array<[string[], string]> = [
  [
    ["--pprof-address=:6060"],
    "--pprof-address=:6060 is not supported: pprof is not served here; the supported value is 0 (off)",
  ],
  [
    ["--apply-strategy=server-side-apply"],
    '--apply-strategy=server-side-apply is not supported; the supported value is "dynamic-apply"',
  ],
  [["--apply-strategy=patch"], '--apply-strategy=patch is not supported; the supported value is "dynamic-apply"'],
  [
    ["--leader-election-resource-lock=configmaps"],
    '--leader-election-resource-lock=configmaps is not supported; the supported value is "leases"',
  ],
  [
    ["--leader-election-resource-lock", "endpointsleases"],
    '--leader-election-resource-lock=endpointsleases is not supported; the supported value is "leases"',
  ],
  [
    ["--zap-encoder=console"],
    '--zap-encoder=console is not supported: logs are JSON lines; the supported value is "json"',
  ],
  [["--zap-encoder=xml"], '--zap-encoder must be one of json, console, got "xml"'],
  [
    ["--metrics-address=0"],
    "--metrics-address=0 (no metrics) is not supported: /metrics is always served on the health port (--health-probe-bind-address); leave the flag out",
  ],
  [
    ["--health-probe-bind-address=0"],
    "--health-probe-bind-address=0 (no probes) is not supported: /healthz and /readyz are always served; give an address such as :8081",
  ],
  [
    ["--health-probe-bind-address=8081"],
    '--health-probe-bind-address must be an address such as :8081 or 127.0.0.1:8081, got "8081"',
  ],
  [["--metrics-address=:http"], '--metrics-address must be an address such as :8081 or 127.0.0.1:8081, got ":http"'],
  [
    ["--zap-log-level=warn"],
    '--zap-log-level must be debug, info, error, panic or a whole number >= 1 (verbose debug), got "warn"',
  ],
  [
    ["--zap-log-level=0"],
    '--zap-log-level must be debug, info, error, panic or a whole number >= 1 (verbose debug), got "0"',
  ],
  [["--zap-stacktrace-level=debug"], '--zap-stacktrace-level must be one of info, error, panic, got "debug"'],
  [
    ["--zap-time-encoding=unix"],
    '--zap-time-encoding must be one of epoch, millis, nanos, iso8601, rfc3339, rfc3339nano, got "unix"',
  ],
  [["--zap-devel=yes"], '--zap-devel must be true or false (or 1, 0, t, f), got "yes"'],
  [["--zap-devel=toString"], '--zap-devel must be true or false (or 1, 0, t, f), got "toString"'],
  [["--leader-election=on"], '--leader-election must be true or false (or 1, 0, t, f), got "on"'],
  [["--workers=0"], '--workers must be a whole number >= 1, got "0"'],
  [["--workers=two"], '--workers must be a whole number >= 1, got "two"'],
  [["--discovery-interval=20"], '--discovery-interval must be a duration such as 30s or 1m30s, got "20"'],
  [["--cache-flush-interval=soon"], '--cache-flush-interval must be a duration such as 30s or 1m30s, got "soon"'],
  [["--client-go-qps=fast"], '--client-go-qps must be a number, got "fast"'],
  [["--client-go-burst=1.5"], '--client-go-burst must be a whole number, got "1.5"'],
  [["--events-qps=x"], '--events-qps must be a number, got "x"'],
  [["--events-burst=-"], '--events-burst must be a whole number, got "-"'],
  [["--workers"], "flag --workers needs a value"],
  [["--", "extra"], 'unexpected argument "extra" after --'],
  [
    ["--target-label-selector=team in a"],
    '--target-label-selector "team in a" is not a label selector: expected "(" after in or notin, found "a"',
  ],
];

for (const [argv, message] of refusals) {
  test(`refused: ${argv.join(" ")}`, () => {
    assert.is(refusal(argv), message);
  });
}

test("every upstream-only flag has a refusal or no-effect case above, or maps onto a runtime flag", () => {
  const covered = new Set(
    [...refusals.flatMap(([argv]) => argv), "--target-label-selector", "--apply-strategy-ssa-field-manager"]
      .map((arg) => /^--([a-z-]+)/.exec(arg)?.[1]),
  );
  assert.equal(Object.keys(upstreamFlags).filter((name) => !covered.has(name)), []);
});

test("Go durations that upstream accepts are accepted", () => {
  for (const value of ["0", "20s", "1m30s", "1.5h", "300ms", "10us", "-1s", ".5m", "2h45m0.5s"]) {
    assert.is(read(`--discovery-interval=${value}`).noEffect["discovery-interval"], value);
  }
});

test("the program: upstream's health port and workers by default, its Lease from the selector", () => {
  assert.is(defaultHealthPort, 8081);
  assert.is(defaultWorkers, 5);
  assert.equal(metacontroller.flagDefaults, { port: 8081, concurrency: 5 });
  assert.is(metacontroller.leaseName, undefined, "without a selector the Lease is the program's name");
  const a = read("--target-label-selector=team=a,!legacy").targetLabelSelector!;
  const sameA = read("--target-label-selector=!legacy, team==a").targetLabelSelector!;
  const b = read("--target-label-selector=team=b").targetLabelSelector!;
  assert.match(selectorLeaseName(a), /^metacontroller-[0-9a-f]{10}$/);
  assert.is(selectorLeaseName(sameA), selectorLeaseName(a), "the same selector written otherwise");
  assert.is.not(selectorLeaseName(b), selectorLeaseName(a));
  assert.is(metacontrollerProgram({ targetLabelSelector: a }).leaseName, selectorLeaseName(a));
  assert.is(metacontrollerProgram({ targetLabelSelector: a }).name, "metacontroller");
});

test("--help's upstream section lists every upstream flag with upstream's default", () => {
  const usage = upstreamUsage();
  for (const [name, flag] of Object.entries(upstreamFlags)) {
    assert.ok(usage.includes(`--${name} (${flag.type}, upstream's default ${flag.upstreamDefault})`), name);
  }
  assert.match(usage, /--kubeconfig, --leader-election-namespace, --leader-election-id/);
});

/** Runs the program to its exit; its code and everything it wrote. */
function runToExit(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ["functions/metacontroller/main.ts", ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = outputOf(child);
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, output: output.text() })));
}

test("as a process: a malformed selector, a refused flag, a stray argument exit 2 naming the flag", async () => {
  const selector = await runToExit(["--target-label-selector=team in (a"]);
  assert.is(selector.code, 2);
  assert.match(selector.output, /^metacontroller: --target-label-selector "team in \(a" is not a label selector/);
  const pprof = await runToExit(["--zap-log-level=4", "--pprof-address=:6060"]);
  assert.is(pprof.code, 2);
  assert.match(pprof.output, /--pprof-address=:6060 is not supported/);
  const stray = await runToExit(["--leader-election", "false"]);
  assert.is(stray.code, 2);
  assert.match(stray.output, /unexpected argument "false"/);
});

test("as a process: --help with upstream's flags exits 0 and lists the runtime's flags, then upstream's", async () => {
  const { code, output } = await runToExit([
    "--target-label-selector=x",
    "--zap-log-level=4",
    "--discovery-interval=20s",
    "--help",
  ]);
  assert.is(code, 0, output);
  assert.match(output, /--port \(number, \$PORT, default 8081\)/);
  assert.match(output, /--concurrency \(number, \$CONCURRENCY, default 5\)/);
  assert.ok(output.indexOf("--kubeconfig (string") < output.indexOf("Upstream Metacontroller's flags"));
  assert.match(output, /--target-label-selector \(string, upstream's default ""\)/);
});

test("as a process: upstream's production args serve /healthz where --health-probe-bind-address says", async () => {
  const kubeconfig = join(scratch, "kubeconfig");
  // An API server address where nothing listens: the program serves its probes all the same.
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "dead", cluster: { server: `https://127.0.0.1:${await freePort()}` } }],
      users: [{ name: "u", user: { token: "t" } }],
      contexts: [{ name: "dead", context: { cluster: "dead", user: "u" } }],
      "current-context": "dead",
    }),
  );
  const port = await freePort();
  const child = spawn(process.execPath, [
    "functions/metacontroller/main.ts",
    "--zap-log-level=4",
    "--discovery-interval=20s",
    `-health-probe-bind-address=127.0.0.1:${port}`,
    "--kubeconfig",
    kubeconfig,
    "--leader-election=false",
  ], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  const output = outputOf(child);
  try {
    await output.waitFor(/"msg":"serving"/, 30_000, "serving");
    assert.match(output.text(), new RegExp(`"msg":"serving".*"host":"127.0.0.1","port":${port}`));
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.is(health.status, 200);
    const ready = await (await fetch(`http://127.0.0.1:${port}/readyz`)).json() as { cachesSynced: boolean };
    assert.is(ready.cachesSynced, false, "nothing to sync from");
  } finally {
    child.kill("SIGTERM");
  }
});

test.run();
