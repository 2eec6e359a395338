// Metacontroller's API (metacontroller.k8s.io/v1alpha1), the fields this runtime reads.
import { kind, type KubeObject } from "../../runtime/mod.ts";

export const CompositeControllerKind = kind(
  "metacontroller.k8s.io/v1alpha1",
  "CompositeController",
  "compositecontrollers",
  false,
);
export const DecoratorControllerKind = kind(
  "metacontroller.k8s.io/v1alpha1",
  "DecoratorController",
  "decoratorcontrollers",
  false,
);

export interface Webhook {
  url?: string;
  /** A Go duration, e.g. "10s" (Metacontroller's default). */
  timeout?: string;
  path?: string;
  service?: { name: string; namespace: string; port?: number; protocol?: string };
}

export interface HookTarget {
  webhook?: Webhook;
}

export interface Hooks {
  sync?: HookTarget;
  finalize?: HookTarget;
  customize?: HookTarget;
}

export interface ResourceRule {
  apiVersion: string;
  resource: string;
}

export interface UpdateStrategy {
  method?: "OnDelete" | "Recreate" | "InPlace" | "RollingRecreate" | "RollingInPlace";
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }>;
}

export interface AnnotationSelector {
  matchAnnotations?: Record<string, string>;
  matchExpressions?: LabelSelector["matchExpressions"];
}

export type CompositeController = KubeObject & {
  spec?: {
    parentResource?: ResourceRule & { revisionHistory?: unknown; labelSelector?: LabelSelector };
    childResources?: Array<ResourceRule & { updateStrategy?: UpdateStrategy }>;
    hooks?: Hooks;
    resyncPeriodSeconds?: number;
    generateSelector?: boolean;
  };
};

export type DecoratorController = KubeObject & {
  spec?: {
    resources?: Array<ResourceRule & { labelSelector?: LabelSelector; annotationSelector?: AnnotationSelector }>;
    attachments?: Array<ResourceRule & { updateStrategy?: UpdateStrategy }>;
    hooks?: Hooks;
    resyncPeriodSeconds?: number;
  };
};
