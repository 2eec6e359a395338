// Metacontroller's API as a program: no controllers of its own at start; the meta-controller
// component adds one for each CompositeController and DecoratorController it finds, and
// changes or removes it as the resource changes. main.ts runs it; manifest.ts derives its
// Deployment and base ClusterRole.
import { program } from "../../runtime/run.ts";
import { MetaControllers } from "./meta-controllers.ts";

export const metacontrollerName = "metacontroller";

export const metacontroller = program({
  name: metacontrollerName,
  finalizerDomain: "metacontroller.k8s.io",
  build: () => ({ controllers: [], components: [new MetaControllers()] }),
});
