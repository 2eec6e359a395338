// A sample controller kept for the runtime's own tests: a Widget owns `replicas`
// ConfigMaps carrying a message, optionally read from a related "settings" ConfigMap.
// Spec switches make it throw, answer invalidly, ask for a resync, hold its finalizer,
// or be filtered out, so each runtime behaviour can be provoked from kubectl.
import { builtinKinds, controller, kind, type KubeObject } from "../../runtime/mod.ts";

export const WidgetKind = kind("sample.runtime.test/v1", "Widget", "widgets");

export interface WidgetSpec {
  replicas?: number;
  message?: string;
  settings?: string;
  fail?: boolean;
  invalid?: boolean;
  resyncAfterSeconds?: number;
  holdFinalizer?: boolean;
  ignored?: boolean;
  notes?: string;
  /** Tell this HTTP receiver once that the Widget exists (with the headers of Secret `secret`). */
  notify?: { url: string; secret?: string };
}

export type Widget = KubeObject & { spec?: WidgetSpec; status?: { notified?: boolean } };

export const widgets = controller<Widget>({
  name: "widgets",
  parent: WidgetKind,
  children: [builtinKinds.ConfigMap],
  related: {
    kinds: [builtinKinds.ConfigMap],
    select: (
      widget,
    ) => (widget.spec?.settings ? [{ apiVersion: "v1", kind: "ConfigMap", names: [widget.spec.settings] }] : []),
  },
  filter: (widget) => !widget.spec?.ignored,
  sync({ parent, children, related }) {
    const spec = parent.spec ?? {};
    if (spec.fail) throw new Error("spec.fail is set; clear it to recover");
    if (spec.invalid) return { children: [{ apiVersion: "v1", kind: "Secret", metadata: { name: "not-declared" } }] };
    const settings = spec.settings
      ? related["ConfigMap.v1"]?.[`${parent.metadata.namespace}/${spec.settings}`]
      : undefined;
    const message = (settings?.data as Record<string, string> | undefined)?.message ?? spec.message ?? "hello";
    const existing = Object.keys(children["ConfigMap.v1"] ?? {}).length;
    return {
      children: Array.from({ length: spec.replicas ?? 1 }, (_, index) => ({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `${parent.metadata.name}-${index}`, labels: { widget: parent.metadata.name } },
        data: { message, index: String(index) },
      })),
      status: {
        configMaps: existing,
        message,
        conditions: [{ type: "Ready", status: "True", reason: "Synced", message: `${existing} config maps exist` }],
      },
      resyncAfterSeconds: spec.resyncAfterSeconds,
    };
  },
  finalize({ parent }) {
    return { children: [], finalized: !parent.spec?.holdFinalizer };
  },
});

/**
 * Tells an HTTP receiver once that a Widget exists (spec.notify), by an HTTP action: answered
 * until its result succeeds, then status.notified is true and it is answered no more.
 */
export const widgetNotify = controller<Widget>({
  name: "widget-notify",
  parent: WidgetKind,
  children: [],
  filter: (widget) => widget.spec?.notify !== undefined,
  effects: { httpSecrets: true },
  sync({ parent, results }) {
    const { url, secret } = parent.spec!.notify!;
    const id = `notify-${parent.metadata.name}`;
    const result = results?.[id];
    if (parent.status?.notified || result?.phase === "Succeeded") return { status: { notified: true } };
    const why = result?.statusCode ? `HTTP ${result.statusCode}: ${result.body}` : result?.error;
    return {
      status: { notified: false, notifyAttempts: result?.attempt ?? 0, ...(why ? { notifyError: why } : {}) },
      actions: [{
        id,
        http: {
          url,
          body: { widget: parent.metadata.name, uid: parent.metadata.uid },
          ...(secret ? { headersFromSecret: secret } : {}),
        },
        events: { succeeded: { reason: "Notified", note: `told ${url}` } },
      }],
    };
  },
});

export const widgetCrd = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "widgets.sample.runtime.test" },
  spec: {
    group: "sample.runtime.test",
    scope: "Namespaced",
    names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: {
                type: "object",
                properties: {
                  replicas: { type: "integer", minimum: 0, maximum: 50 },
                  message: { type: "string" },
                  settings: { type: "string" },
                  fail: { type: "boolean" },
                  invalid: { type: "boolean" },
                  resyncAfterSeconds: { type: "number" },
                  holdFinalizer: { type: "boolean" },
                  ignored: { type: "boolean" },
                  notes: { type: "string" },
                  notify: {
                    type: "object",
                    required: ["url"],
                    properties: { url: { type: "string" }, secret: { type: "string" } },
                  },
                },
              },
              status: {
                type: "object",
                "x-kubernetes-preserve-unknown-fields": true,
                properties: {
                  // A map list keyed by type, as metav1.Condition lists are declared: server-side
                  // apply then merges conditions per type across field managers.
                  conditions: {
                    type: "array",
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["type"],
                    items: {
                      type: "object",
                      required: ["type"],
                      properties: { type: { type: "string" } },
                      "x-kubernetes-preserve-unknown-fields": true,
                    },
                  },
                },
              },
            },
          },
        },
      },
    ],
  },
};

/**
 * A second controller of the same parent kind, owning a child of the same kind: a Widget with
 * spec.notes gets a ConfigMap <name>-notes. Each controller must see and prune only its own.
 */
export const widgetNotes = controller<Widget>({
  name: "widget-notes",
  parent: WidgetKind,
  children: [builtinKinds.ConfigMap],
  // Its own number of workers, in place of the program's --concurrency.
  concurrency: 2,
  // A child's changes within a second make one sync (a parent's own change syncs at once).
  batchPeriodSeconds: 1,
  filter: (widget) => typeof widget.spec?.notes === "string",
  sync({ parent, children }) {
    if (parent.spec?.notes === "fail") throw new Error('spec.notes is "fail"; write anything else');
    return {
      children: [
        {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: `${parent.metadata.name}-notes`, labels: { "widget-notes": parent.metadata.name } },
          data: { notes: parent.spec!.notes! },
        },
      ],
      status: { notes: parent.spec!.notes, noteMaps: Object.keys(children["ConfigMap.v1"] ?? {}).length },
    };
  },
});
