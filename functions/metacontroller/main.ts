// Metacontroller's API on this runtime: CompositeControllers and DecoratorControllers
// (metacontroller.k8s.io/v1alpha1) run as controllers whose hooks are webhooks. Runs against
// the kubeconfig it is given; install deploy/metacontroller.yaml first. Takes upstream
// Metacontroller's flags too (upstream-flags.ts), so its Deployment's args work unchanged.
//   npm run metacontroller -- --help
import { runProgram } from "../../runtime/run.ts";
import { type MetricsListener, serveMetrics } from "./metrics-listener.ts";
import { metacontrollerName, metacontrollerProgram } from "./program.ts";
import { FlagError, readUpstreamFlags, upstreamUsage } from "./upstream-flags.ts";

let upstream: ReturnType<typeof readUpstreamFlags>;
try {
  upstream = readUpstreamFlags(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof FlagError)) throw error;
  console.error(`${metacontrollerName}: ${error.message}`);
  process.exit(2);
}

let metrics: MetricsListener | undefined;
const manager = await runProgram(
  metacontrollerProgram({ targetLabelSelector: upstream.targetLabelSelector }),
  { argv: upstream.argv, afterStop: async () => await metrics?.close() },
);

if (!manager) {
  // --help: the runtime printed its flags and the program's; upstream's follow.
  console.log(upstreamUsage());
} else {
  if (Object.keys(upstream.noEffect).length) {
    manager.log.info("upstream Metacontroller flags accepted with no effect here (see --help)", upstream.noEffect);
  }
  const address = upstream.metricsAddress;
  if (address && address.port !== manager.port) {
    try {
      metrics = await serveMetrics(address, manager.metrics.registry);
      manager.log.info("serving /metrics on --metrics-address too", { host: address.host, port: metrics.port });
    } catch (error) {
      manager.log.error("could not serve --metrics-address", { ...address, error: (error as Error).message });
      await manager.stop();
      process.exit(1);
    }
  }
}
