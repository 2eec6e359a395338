// The ConfigMap propagation controller as a program; main.ts runs it.
import { program } from "@kubefn/runtime/run";
import { propagations } from "./propagation.ts";

export const propagationController = program({
  name: "configmap-propagation",
  build: () => ({ controllers: [propagations] }),
});
