// The Atomix controller bundled as the image runs it, exporting its spans to the OpenTelemetry
// Collector's OTLP receiver (test/interop/go/otlp) through test/sample/tracing.ts, on a bench
// cluster (or BENCH_KUBECONFIG's): what bench/event-trace.ts and bench/converge-trace.ts share.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { KubeClient } from "../runtime/run.ts";
import { type ReceivedSpan, startOtlpReceiver } from "../test/support/otlp.ts";
import { startBenchCluster } from "./side-by-side/control-plane.ts";
import { buildOurs, freePort, installOurs, startOurs } from "./side-by-side/controllers.ts";

export interface Traced {
  client: KubeClient;
  /** Every span the controller exported so far. */
  spans(): ReceivedSpan[];
}

/** Runs `body` with the traced controller up, and takes everything down after, pass or fail. */
export async function withTracedController(
  name: string,
  log: (line: string) => void,
  body: (traced: Traced) => Promise<void>,
): Promise<void> {
  const given = process.env.BENCH_KUBECONFIG;
  const bench = given ? undefined : await startBenchCluster(log);
  const kubeconfig = given ?? bench!.cluster.kubeconfig;
  const logDir = mkdtempSync(join(tmpdir(), `${name}-`));
  let built: string | undefined;
  const receiver = await startOtlpReceiver().catch(async (error) => {
    await bench?.stop();
    throw error;
  });
  try {
    await installOurs(given ? "kubectl" : bench!.cluster.binaries.kubectl, kubeconfig);
    log("building the controller as the image does");
    built = await buildOurs();
    const tracing = pathToFileURL(join(import.meta.dirname, "..", "test", "sample", "tracing.ts"));
    const controller = await startOurs({
      built,
      kubeconfig,
      port: await freePort(),
      logDir,
      nodeFlags: ["--max-semi-space-size=1", `--import=${tracing}`],
      env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.httpTracesUrl, OTEL_SERVICE_NAME: "atomix-controller" },
    });
    try {
      await body({ client: KubeClient.load(kubeconfig), spans: receiver.spans });
    } finally {
      await controller.stop();
    }
  } finally {
    await receiver.stop();
    rmSync(logDir, { recursive: true, force: true });
    if (built) rmSync(built, { recursive: true, force: true });
    await bench?.stop();
  }
}
