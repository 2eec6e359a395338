// Metacontroller's API as a program: no controllers of its own at start; the meta-controller
// component adds one for each CompositeController and DecoratorController it finds (those
// --target-label-selector picks), and changes or removes it as the resource changes. main.ts
// runs it; manifest.ts derives its Deployment and base ClusterRole.
import { createHash } from "node:crypto";
import { program } from "../../runtime/run.ts";
import { MetaControllers } from "./meta-controllers.ts";
import type { TargetSelector } from "./upstream-flags.ts";

export const metacontrollerName = "metacontroller";
/** Upstream's --health-probe-bind-address default (:8081): its probes find this port unchanged. */
export const defaultHealthPort = 8081;
/** Upstream's --workers default: syncs each controller runs at once. */
export const defaultWorkers = 5;

/**
 * The Lease of the instances that run what one selector picks: metacontroller-<10 hex digits of
 * the SHA-256 of the selector written canonically>. Upstream runs instances with different
 * selectors without election; here election is on by default, and a shared Lease would leave
 * all but one of them idle. Replicas of one instance (same selector) share it.
 */
export function selectorLeaseName(selector: TargetSelector): string {
  return `${metacontrollerName}-${createHash("sha256").update(selector.canonical).digest("hex").slice(0, 10)}`;
}

/** The program, running only the resources `targetLabelSelector` picks (every one without it). */
export function metacontrollerProgram(options: { targetLabelSelector?: TargetSelector | undefined } = {}) {
  const target = options.targetLabelSelector;
  return program({
    name: metacontrollerName,
    finalizerDomain: "metacontroller.k8s.io",
    ...(target ? { leaseName: selectorLeaseName(target) } : {}),
    flagDefaults: { port: defaultHealthPort, concurrency: defaultWorkers },
    build: () => ({
      controllers: [],
      components: [new MetaControllers(target ? { targetLabelSelector: target } : {})],
    }),
  });
}

export const metacontroller = metacontrollerProgram();
