// What the runtime needs to know about a kind to reach it over REST.
import type { KubeObject } from "./objects.ts";

/**
 * A kind as the runtime reaches it over REST. The type parameter names the shape of its objects
 * (a kind made by customKind() carries its spec and status types), so a controller's parent
 * type follows from its parent kind.
 */
export interface Kind<T extends KubeObject = KubeObject> {
  /** "v1" for the core group, "group/version" otherwise. */
  apiVersion: string;
  /** The kind's name, e.g. "StatefulSet". */
  kind: string;
  /** The resource name in URLs, e.g. "statefulsets". */
  plural: string;
  /** False for cluster-scoped kinds (Namespace, ClusterRole, ...), whose objects have no namespace. */
  namespaced: boolean;
  /** Type-only, never set: carries T (a method, so Kind<Special> and Kind<KubeObject> mix). */
  objectType?(object: T): void;
}

/**
 * Declares a kind that builtinKinds does not list and customKind() does not make: a CRD
 * installed by someone else, say. Nothing is checked; the values must match what the API
 * server serves.
 *
 * @param apiVersion "v1" for the core group, "group/version" otherwise.
 * @param kind the kind's name, e.g. "Certificate".
 * @param plural the resource name in URLs, e.g. "certificates".
 * @param namespaced false for a cluster-scoped kind; default true.
 */
export function kind(apiVersion: string, kind: string, plural: string, namespaced = true): Kind {
  return { apiVersion, kind, plural, namespaced };
}

/** The API group of an apiVersion ("" for the core group). */
export const groupOf = (
  apiVersion: string,
): string => (apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "");

/** "Kind.apiVersion", the key Metacontroller uses to group children, e.g. "StatefulSet.apps/v1". */
export const kindKey = (kind: Pick<Kind, "apiVersion" | "kind">): string => `${kind.kind}.${kind.apiVersion}`;

export function resourcePath(kind: Kind, namespace?: string, name?: string, subresource?: string): string {
  const base = kind.apiVersion.includes("/") ? `/apis/${kind.apiVersion}` : `/api/${kind.apiVersion}`;
  const scope = kind.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  const object = name ? `/${encodeURIComponent(name)}` : "";
  return `${base}${scope}/${kind.plural}${object}${name && subresource ? `/${subresource}` : ""}`;
}

/** The names of builtinKinds. */
export type BuiltinKindName =
  | "ConfigMap"
  | "Secret"
  | "Service"
  | "Pod"
  | "ServiceAccount"
  | "Namespace"
  | "Node"
  | "PersistentVolumeClaim"
  | "Endpoints"
  | "StatefulSet"
  | "Deployment"
  | "DaemonSet"
  | "ReplicaSet"
  | "Job"
  | "CronJob"
  | "Ingress"
  | "NetworkPolicy"
  | "HorizontalPodAutoscaler"
  | "Role"
  | "RoleBinding"
  | "ClusterRole"
  | "ClusterRoleBinding"
  | "EndpointSlice"
  | "PodDisruptionBudget"
  | "Lease"
  | "Event"
  | "StorageClass"
  | "TokenReview"
  | "SubjectAccessReview"
  | "CustomResourceDefinition"
  | "PersistentVolume"
  | "ResourceQuota"
  | "LimitRange"
  | "ReplicationController"
  | "ControllerRevision"
  | "IngressClass"
  | "PriorityClass"
  | "ValidatingWebhookConfiguration"
  | "MutatingWebhookConfiguration";

/** Kinds of the core Kubernetes API that controllers commonly own or read. */
export const builtinKinds: Readonly<Record<BuiltinKindName, Kind>> = {
  ConfigMap: kind("v1", "ConfigMap", "configmaps"),
  Secret: kind("v1", "Secret", "secrets"),
  Service: kind("v1", "Service", "services"),
  Pod: kind("v1", "Pod", "pods"),
  ServiceAccount: kind("v1", "ServiceAccount", "serviceaccounts"),
  Namespace: kind("v1", "Namespace", "namespaces", false),
  Node: kind("v1", "Node", "nodes", false),
  PersistentVolumeClaim: kind("v1", "PersistentVolumeClaim", "persistentvolumeclaims"),
  Endpoints: kind("v1", "Endpoints", "endpoints"),
  StatefulSet: kind("apps/v1", "StatefulSet", "statefulsets"),
  Deployment: kind("apps/v1", "Deployment", "deployments"),
  DaemonSet: kind("apps/v1", "DaemonSet", "daemonsets"),
  ReplicaSet: kind("apps/v1", "ReplicaSet", "replicasets"),
  Job: kind("batch/v1", "Job", "jobs"),
  CronJob: kind("batch/v1", "CronJob", "cronjobs"),
  Ingress: kind("networking.k8s.io/v1", "Ingress", "ingresses"),
  NetworkPolicy: kind("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies"),
  HorizontalPodAutoscaler: kind("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers"),
  Role: kind("rbac.authorization.k8s.io/v1", "Role", "roles"),
  RoleBinding: kind("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings"),
  ClusterRole: kind("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", false),
  ClusterRoleBinding: kind("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", false),
  EndpointSlice: kind("discovery.k8s.io/v1", "EndpointSlice", "endpointslices"),
  PodDisruptionBudget: kind("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets"),
  Lease: kind("coordination.k8s.io/v1", "Lease", "leases"),
  Event: kind("events.k8s.io/v1", "Event", "events"),
  StorageClass: kind("storage.k8s.io/v1", "StorageClass", "storageclasses", false),
  TokenReview: kind("authentication.k8s.io/v1", "TokenReview", "tokenreviews", false),
  SubjectAccessReview: kind("authorization.k8s.io/v1", "SubjectAccessReview", "subjectaccessreviews", false),
  CustomResourceDefinition: kind(
    "apiextensions.k8s.io/v1",
    "CustomResourceDefinition",
    "customresourcedefinitions",
    false,
  ),
  PersistentVolume: kind("v1", "PersistentVolume", "persistentvolumes", false),
  ResourceQuota: kind("v1", "ResourceQuota", "resourcequotas"),
  LimitRange: kind("v1", "LimitRange", "limitranges"),
  ReplicationController: kind("v1", "ReplicationController", "replicationcontrollers"),
  ControllerRevision: kind("apps/v1", "ControllerRevision", "controllerrevisions"),
  IngressClass: kind("networking.k8s.io/v1", "IngressClass", "ingressclasses", false),
  PriorityClass: kind("scheduling.k8s.io/v1", "PriorityClass", "priorityclasses", false),
  ValidatingWebhookConfiguration: kind(
    "admissionregistration.k8s.io/v1",
    "ValidatingWebhookConfiguration",
    "validatingwebhookconfigurations",
    false,
  ),
  MutatingWebhookConfiguration: kind(
    "admissionregistration.k8s.io/v1",
    "MutatingWebhookConfiguration",
    "mutatingwebhookconfigurations",
    false,
  ),
};
