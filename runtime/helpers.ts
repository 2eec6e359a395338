// Pure helpers for building a function's answer: a Ready condition, the children kept as
// they are (for input that cannot be acted on), a headless Service, and a stable fingerprint
// of a text (to roll pods when a ConfigMap they read changes). No I/O, no clock.
import type { DesiredObject, ObjectsByKind } from "./controller.ts";

/** A Ready condition; the runtime fills in lastTransitionTime and observedGeneration. */
export function readyCondition(
  ready: boolean,
  reason: string,
  message: string,
): { type: "Ready"; status: "True" | "False"; reason: string; message: string } {
  return { type: "Ready", status: ready ? "True" : "False", reason, message };
}

/** The current children restated as desired, so invalid input changes nothing. */
export function unchangedChildren(children: ObjectsByKind): DesiredObject[] {
  return Object.values(children).flatMap((byName) =>
    Object.values(byName).map((child) => {
      const { status: _status, metadata, ...rest } = child;
      return {
        ...rest,
        apiVersion: child.apiVersion,
        kind: child.kind,
        metadata: {
          name: metadata.name,
          ...(metadata.labels ? { labels: metadata.labels } : {}),
          ...(metadata.annotations ? { annotations: metadata.annotations } : {}),
        },
      } as DesiredObject;
    })
  );
}

/** A headless Service that names each pod in DNS (<pod>.<name>), ready or not, so peers find each other while they start. */
export function headlessService(
  name: string,
  labels: Record<string, string>,
  ports: ReadonlyArray<{ name: string; port: number }>,
  selector = labels,
): DesiredObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, labels },
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector,
      ports: ports.map((port) => ({ ...port, targetPort: port.port, protocol: "TCP" })),
    },
  };
}

/** FNV-1a, 32 bits, as 8 hex digits: a stable fingerprint of a text. */
export function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}
