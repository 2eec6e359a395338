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

/** A key of a Secret: Metacontroller's SecretKeyRef. */
export interface SecretKeyRef {
  name: string;
  namespace: string;
  key: string;
}

/** A Secret: Metacontroller's SecretRef. */
export interface SecretRef {
  name: string;
  namespace: string;
}

/** A key of a Secret or ConfigMap, "ca.crt" by default: Metacontroller's ResourceKeyRef. */
export interface ResourceKeyRef {
  name: string;
  namespace: string;
  key?: string;
}

/** PEM CA certificates to trust: exactly one of inline, secretRef or configMapRef. */
export interface CABundle {
  inline?: string;
  secretRef?: ResourceKeyRef;
  configMapRef?: ResourceKeyRef;
}

/** An `Authorization: <type> <credential>` header, the credential from a Secret; type Bearer by default, never Basic. */
export interface Authorization {
  type?: string;
  secretRef: SecretKeyRef;
}

/** HTTP Basic authentication, username and password from one Secret ("username", "password" by default). */
export interface BasicAuth {
  secretRef: SecretRef;
  usernameKey?: string;
  passwordKey?: string;
}

/** A client certificate and key for mutual TLS, from one Secret ("tls.crt", "tls.key" by default). */
export interface ClientTLS {
  secretRef: SecretRef;
  certKey?: string;
  privateKeyKey?: string;
}

/** The connection settings a webhook may set itself, or get from a matching endpointConfigs entry. */
export interface ConnectionSettings {
  caBundle?: CABundle;
  clientTLS?: ClientTLS;
  authorization?: Authorization;
  basicAuth?: BasicAuth;
}

/** spec.endpointConfigs[]: connection settings for every webhook whose URL's host (and port) is `host`. */
export interface EndpointConfig extends ConnectionSettings {
  host: string;
}

export interface Webhook extends ConnectionSettings {
  url?: string;
  /** A Go duration, e.g. "10s" (Metacontroller's default). */
  timeout?: string;
  path?: string;
  service?: { name: string; namespace: string; port?: number; protocol?: string };
  /** Accepted; every call is a full one (a hook must answer 200 to a request without If-None-Match anyway). */
  etag?: { enabled?: boolean; cacheTimeoutSeconds?: number; cacheCleanupSeconds?: number };
  /** strict refuses answers with unknown or repeated fields; default: loose for v1, strict for v2. */
  responseUnMarshallMode?: "loose" | "strict";
}

export interface HookTarget {
  /** How children, attachments and related objects are keyed in requests; v1 by default. */
  version?: "v1" | "v2";
  webhook?: Webhook;
}

export interface Hooks {
  sync?: HookTarget;
  finalize?: HookTarget;
  customize?: HookTarget;
  /** Accepted, never called (as upstream, which declares them and calls neither). */
  preUpdateChild?: HookTarget;
  /** Accepted, never called (as upstream). */
  postUpdateChild?: HookTarget;
}

export interface ResourceRule {
  apiVersion: string;
  resource: string;
}

export interface UpdateStrategy {
  method?: "OnDelete" | "Recreate" | "InPlace" | "RollingRecreate" | "RollingInPlace";
  /** Used by the rolling methods only, which are not supported yet. */
  statusChecks?: { conditions?: Array<{ type: string; status?: string; reason?: string }> };
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
    parentResource?: ResourceRule & {
      revisionHistory?: { fieldPaths?: string[] };
      labelSelector?: LabelSelector;
      /** Accepted, no effect: status-only changes of a parent sync it too. */
      ignoreStatusChanges?: boolean;
    };
    childResources?: Array<ResourceRule & { updateStrategy?: UpdateStrategy }>;
    hooks?: Hooks;
    endpointConfigs?: EndpointConfig[];
    resyncPeriodSeconds?: number;
    generateSelector?: boolean;
  };
};

export type DecoratorController = KubeObject & {
  spec?: {
    resources?: Array<
      ResourceRule & {
        labelSelector?: LabelSelector;
        annotationSelector?: AnnotationSelector;
        /** Accepted, no effect: status-only changes of an object sync it too. */
        ignoreStatusChanges?: boolean;
      }
    >;
    attachments?: Array<ResourceRule & { updateStrategy?: Pick<UpdateStrategy, "method"> }>;
    hooks?: Omit<Hooks, "preUpdateChild" | "postUpdateChild">;
    endpointConfigs?: EndpointConfig[];
    resyncPeriodSeconds?: number;
  };
};
