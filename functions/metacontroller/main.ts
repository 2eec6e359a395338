// Metacontroller's API on this runtime: CompositeControllers and DecoratorControllers
// (metacontroller.k8s.io/v1alpha1) run as controllers whose hooks are webhooks, started,
// changed and stopped as the resources are created, edited and deleted. Runs against the
// kubeconfig it is given, like main.ts; install deploy/metacontroller.yaml first.
//   node metacontroller.ts --help
import { runManager } from "./runtime/main.ts";
import { MetaControllers } from "./runtime/metacontroller/dynamic.ts";
import { CompositeControllerKind, DecoratorControllerKind } from "./runtime/metacontroller/types.ts";

const manager = await runManager("metacontroller", () => ({
  name: "metacontroller",
  finalizerDomain: "metacontroller.k8s.io",
  controllers: [],
  watch: [CompositeControllerKind, DecoratorControllerKind],
}));

if (manager) {
  const meta = new MetaControllers({
    client: manager.client,
    informers: manager.informers,
    controllers: manager.controllers,
    log: manager.log,
    canWrite: () => manager.canWrite(),
  });
  meta.start();
}
