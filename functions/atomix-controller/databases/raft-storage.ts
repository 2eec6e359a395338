// The RaftStorageClass storage controller: for Databases whose storage reference names a
// RaftStorageClass, one Raft cluster per spec.clusters. For each cluster: a StatefulSet
// <db>-<c> with the class's replicas, image and pull policy, a headless Service <db>-<c>-hs and
// a ConfigMap <db>-<c>-config whose cluster.json is a DatabaseConfig (its replicas and the
// partitions it stores). For each partition: a Service <db>-<p> on the api port that selects
// its cluster's pods. A change to the class reaches every Database that uses it. Pure.
import { create, toJson } from "@bufbuild/protobuf";
import { DatabaseConfigSchema } from "../../../gen/atomix/database/database_pb.ts";
import {
  builtinKinds,
  controller,
  type DesiredObject,
  fingerprint,
  objectOf,
  type SyncRequest,
  type SyncResponse,
  unchangedChildren,
} from "../../../runtime/mod.ts";
import { clusterName, databaseLabels, databasePartitionName, layoutOf, storageKindOf, storageOf } from "./database.ts";
import { type Database, DatabaseKind, type RaftStorageClass, RaftStorageClassKind } from "../kinds.ts";
import {
  apiPort,
  apiService,
  batchPeriodSeconds,
  configMountPath,
  headlessService,
  protocolPort,
  replicaContainerBasics,
  spreadOverHosts,
} from "../replicas.ts";

export interface RaftStorageOptions {
  clusterDomain: string;
}

export const defaultRaftStorageOptions: RaftStorageOptions = { clusterDomain: "cluster.local" };
export const defaultRaftReplicas = 1;
export const defaultRaftImage = "atomix/raft-replica:latest";
/** Pod template annotation that changes with cluster.json, so that a new config rolls the pods. */
export const configHashAnnotation = "storage.cloud.atomix.io/config-hash";

export const usesRaftStorage = (database: Database) => storageKindOf(storageOf(database)) === RaftStorageClassKind;

export function syncRaftStorage(
  options: RaftStorageOptions,
  { parent: database, children, related }: SyncRequest<Database>,
): SyncResponse<DesiredObject> {
  const ref = storageOf(database);
  const storageClass = objectOf<RaftStorageClass>(related, RaftStorageClassKind, `${ref.namespace}/${ref.name}`);
  // The Database controller reports a missing class; until it appears, change nothing.
  if (!storageClass) return { children: unchangedChildren(children) };

  const name = database.metadata.name;
  const namespace = database.metadata.namespace!;
  const replicas = storageClass.spec?.replicas ?? defaultRaftReplicas;
  const layout = layoutOf(database);
  const desired: DesiredObject[] = [];
  for (let cluster = 1; cluster <= layout.clusters; cluster++) {
    const cluster_ = clusterName(name, cluster);
    const headless = `${cluster_}-hs`;
    const labels = { ...databaseLabels(name), cluster: String(cluster) };
    const config = toJson(
      DatabaseConfigSchema,
      create(DatabaseConfigSchema, {
        replicas: Array.from({ length: replicas }, (_, ordinal) => ({
          id: `${cluster_}-${ordinal}`,
          host: `${cluster_}-${ordinal}.${headless}.${namespace}.svc.${options.clusterDomain}`,
          apiPort,
          protocolPort,
        })),
        partitions: layout.partitions.filter((p) => p.cluster === cluster).map((p) => ({ partition: p.id })),
      }),
    );
    const clusterJson = JSON.stringify(config, null, 2);
    const claim = storageClass.spec?.volumeClaimTemplate;
    desired.push(
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `${cluster_}-config`, labels },
        data: { "cluster.json": clusterJson },
      },
      headlessService(headless, labels),
      {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: { name: cluster_, labels },
        spec: {
          serviceName: headless,
          replicas,
          podManagementPolicy: "Parallel",
          selector: { matchLabels: labels },
          template: {
            metadata: { labels, annotations: { [configHashAnnotation]: fingerprint(clusterJson) } },
            spec: {
              containers: [
                {
                  name: "raft",
                  image: storageClass.spec?.image ?? defaultRaftImage,
                  imagePullPolicy: storageClass.spec?.imagePullPolicy ?? "IfNotPresent",
                  args: ["--config", `${configMountPath}/cluster.json`],
                  env: [{ name: "ATOMIX_REPLICA_ID", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
                  ...replicaContainerBasics(Boolean(claim)),
                },
              ],
              affinity: spreadOverHosts(labels),
              volumes: [{ name: "config", configMap: { name: `${cluster_}-config` } }],
            },
          },
          ...(claim
            ? {
              volumeClaimTemplates: [{
                apiVersion: "v1",
                kind: "PersistentVolumeClaim",
                metadata: { name: "data" },
                spec: claim,
              }],
            }
            : {}),
        },
      },
    );
  }
  for (const partition of layout.partitions) {
    const labels = { ...databaseLabels(name), cluster: String(partition.cluster) };
    desired.push(
      apiService(databasePartitionName(name, partition.id), { ...labels, partition: String(partition.id) }, labels),
    );
  }
  return { children: desired };
}

export function raftStorage(options: RaftStorageOptions = defaultRaftStorageOptions) {
  return controller<Database>({
    name: "raft-storage",
    parent: DatabaseKind,
    children: [builtinKinds.ConfigMap, builtinKinds.Service, builtinKinds.StatefulSet],
    filter: usesRaftStorage,
    related: {
      kinds: [RaftStorageClassKind],
      select(database) {
        const ref = storageOf(database);
        return ref.name
          ? [{
            apiVersion: RaftStorageClassKind.apiVersion,
            kind: RaftStorageClassKind.kind,
            namespace: ref.namespace,
            names: [ref.name],
          }]
          : [];
      },
    },
    sync: (request) => syncRaftStorage(options, request),
    batchPeriodSeconds,
  });
}
