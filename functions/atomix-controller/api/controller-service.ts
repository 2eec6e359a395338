// atomix.controller.ControllerService: partition groups as PartitionGroup resources. Reads
// come from the runtime's cache, writes go to the API server, so any replica serves any call.
import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import {
  ControllerService,
  CreatePartitionGroupResponseSchema,
  DeletePartitionGroupResponseSchema,
  GetPartitionGroupsResponseSchema,
  PartitionElectionResponseSchema,
  type PartitionGroup as PartitionGroupMessage,
  PartitionGroupSchema,
} from "../../../gen/atomix/controller/controller_pb.ts";
import { isConflict, isNotFound, serviceAccess, type ServiceContext } from "../../../runtime/run.ts";
import { type Access, builtinKinds, type KubeObject } from "../../../runtime/mod.ts";
import { DatabaseKind, type PartitionGroup, PartitionGroupKind } from "../kinds.ts";
import { chosenProtocol, SpecError } from "../protocols.ts";
import { apiPort, partitionName } from "../replicas.ts";
import type { DatabaseCatalog } from "./database-service.ts";
import { Elections } from "./elections.ts";
import { alreadyExists, createRaced, fromKube, invalid, namespaceOf, notFound, requireName } from "./errors.ts";
import { protocolFromAny, protocolToAny } from "./protocol-any.ts";
import { electionName } from "./election-state.ts";

/** The API access CreatePartitionGroup, DeletePartitionGroup and GetPartitionGroups need. */
export const access: Access[] = [{
  kind: PartitionGroupKind,
  verbs: ["get", "list", "watch", "create", "delete"],
  why: "partition groups API",
}];

/** What each RPC does in Kubernetes terms, checked for the caller with --api-auth=kubernetes. */
export const rpcAccess = serviceAccess(ControllerService, {
  createPartitionGroup: {
    verb: "create",
    kind: PartitionGroupKind,
    namespace: (r) => namespaceOf(r.id?.namespace, "id.namespace"),
    describe: "in id.namespace",
  },
  deletePartitionGroup: {
    verb: "delete",
    kind: PartitionGroupKind,
    namespace: (r) => namespaceOf(r.id?.namespace, "id.namespace"),
    name: (r) => r.id?.name,
    describe: "id.name in id.namespace",
  },
  getPartitionGroups: {
    verb: "list",
    kind: PartitionGroupKind,
    namespace: (r) => namespaceOf(r.id?.namespace, "id.namespace"),
    describe: "in id.namespace",
  },
  // An election's state is the partition's Lease, which the call creates and updates.
  enterElection: {
    verb: "update",
    kind: builtinKinds.Lease,
    namespace: (r) => namespaceOf(r.partitionId?.group?.namespace, "partition_id.group.namespace"),
    name: (r) => electionName(r.partitionId?.group?.name ?? "", r.partitionId?.partition ?? 0),
    describe: "<group>-<partition>-election in partition_id.group.namespace",
  },
  getDatabases: {
    verb: "list",
    kind: DatabaseKind,
    namespace: (r) => namespaceOf(r.id?.namespace, "id.namespace"),
    describe: "in id.namespace",
  },
});

/** Most partitions a group may have, as the CRD allows. */
export const maxPartitions = 1024;
/** Most replicas per partition, as the CRD allows. */
export const maxPartitionSize = 99;

function toMessage(group: PartitionGroup): PartitionGroupMessage {
  const spec = group.spec ?? {};
  const partitions = spec.partitions ?? 1;
  let protocol;
  try {
    const chosen = chosenProtocol(spec);
    protocol = protocolToAny(chosen.name, chosen.options);
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
  }
  return create(PartitionGroupSchema, {
    id: { name: group.metadata.name, namespace: group.metadata.namespace },
    spec: { partitions, partitionSize: spec.partitionSize ?? 1, protocol },
    // Clients index endpoints[0]: every partition has its Service as an endpoint, from the start.
    partitions: Array.from({ length: partitions }, (_, index) => ({
      partitionId: index + 1,
      endpoints: [{ host: partitionName(group.metadata.name, index + 1), port: apiPort }],
    })),
  });
}

/** The fields a create request decides, for comparing with an existing group. */
function essentials(spec: PartitionGroup["spec"]) {
  const { name, options } = chosenProtocol(spec);
  return JSON.stringify({
    partitions: spec?.partitions ?? 1,
    partitionSize: spec?.partitionSize ?? 1,
    protocol: name,
    options: sorted(options),
  });
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value).sort().map((key) => [key, sorted((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

export function registerControllerService(
  router: ConnectRouter,
  context: ServiceContext,
  databases: DatabaseCatalog,
): void {
  const groups = () => context.informers.for(PartitionGroupKind);
  const elections = new Elections(context);

  router.service(ControllerService, {
    async createPartitionGroup(request) {
      const name = requireName(request.id?.name, "id.name");
      const namespace = namespaceOf(request.id?.namespace, "id.namespace");
      if (!request.spec) throw invalid("spec is required");
      const { partitions, partitionSize } = request.spec;
      if (partitions < 1 || partitions > maxPartitions) {
        throw invalid(`spec.partitions must be from 1 to ${maxPartitions}, got ${partitions}`);
      }
      if (partitionSize > maxPartitionSize) {
        throw invalid(`spec.partition_size must be at most ${maxPartitionSize}, got ${partitionSize}`);
      }
      const protocol = protocolFromAny(request.spec.protocol);
      const desired: PartitionGroup = {
        apiVersion: PartitionGroupKind.apiVersion,
        kind: PartitionGroupKind.kind,
        metadata: { name, namespace },
        spec: { partitions, partitionSize: partitionSize || 1, version: "latest", [protocol.name]: protocol.options },
      };
      const compare = (existing: KubeObject) => {
        if (essentials((existing as PartitionGroup).spec) !== essentials(desired.spec)) {
          throw alreadyExists(`partition group ${namespace}/${name} exists with a different spec`);
        }
        return create(CreatePartitionGroupResponseSchema);
      };
      const cached = groups().get(`${namespace}/${name}`);
      if (cached) return compare(cached);
      try {
        groups().remember(await context.client.create(PartitionGroupKind, desired));
      } catch (error) {
        if (!isConflict(error)) throw fromKube(error, `creating partition group ${namespace}/${name}`);
        const existing = await context.client.get(PartitionGroupKind, namespace, name).catch((raced) =>
          Promise.reject(createRaced(raced, `partition group ${namespace}/${name}`))
        );
        return compare(existing);
      }
      return create(CreatePartitionGroupResponseSchema);
    },

    async deletePartitionGroup(request) {
      const name = requireName(request.id?.name, "id.name");
      const namespace = namespaceOf(request.id?.namespace, "id.namespace");
      const existing = groups().get(`${namespace}/${name}`);
      try {
        await context.client.delete(PartitionGroupKind, namespace, name);
      } catch (error) {
        if (isNotFound(error)) throw notFound(`partition group ${namespace}/${name} does not exist`);
        throw fromKube(error, `deleting partition group ${namespace}/${name}`);
      }
      if (existing) groups().forget(existing);
      return create(DeletePartitionGroupResponseSchema);
    },

    async getPartitionGroups(request) {
      const namespace = namespaceOf(request.id?.namespace, "id.namespace");
      const name = request.id?.name;
      const found = name
        ? [groups().get(`${namespace}/${requireName(name, "id.name")}`)].filter((group): group is KubeObject =>
          group !== undefined
        )
        : groups()
          .list(namespace)
          .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
      return create(GetPartitionGroupsResponseSchema, {
        groups: found.filter((group) => !group.metadata.deletionTimestamp).map((group) =>
          toMessage(group as PartitionGroup)
        ),
      });
    },

    async *enterElection(request, call) {
      const id = request.partitionId;
      if (!id) throw invalid("partition_id is required");
      const group = requireName(id.group?.name, "partition_id.group.name");
      const namespace = namespaceOf(id.group?.namespace, "partition_id.group.namespace");
      if (id.partition < 1) throw invalid(`partition_id.partition must be at least 1, got ${id.partition}`);
      if (!request.member) throw invalid("member is required");
      try {
        for await (const term of elections.enter(namespace, group, id.partition, request.member, call.signal)) {
          yield create(PartitionElectionResponseSchema, {
            term: { term: BigInt(term.term), primary: term.primary, candidates: term.candidates },
          });
        }
      } catch (error) {
        throw fromKube(error, `election for partition ${id.partition} of ${namespace}/${group}`);
      }
    },

    async getDatabases(request) {
      return databases.controllerGetDatabases(request);
    },
  });
}
