// atomix.primitive.PrimitiveService: primitives are Primitive resources in their Database's
// namespace, owned by the Database (so they go with it). primitive.namespace is the client's
// scope, not a Kubernetes namespace; the resource name is derived from (database, scope, name).
import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import {
  CreatePrimitiveResponseSchema,
  DeletePrimitiveResponseSchema,
  GetPrimitiveResponseSchema,
  GetPrimitivesResponseSchema,
  type PrimitiveMetadata,
  PrimitiveMetadataSchema,
  PrimitiveService,
  PrimitiveType,
  type PrimitiveType as PrimitiveTypeNumber,
} from "../../../gen/atomix/primitive/primitive_pb.ts";
import type { DatabaseId } from "../../../gen/atomix/database/database_pb.ts";
import type { PrimitiveId } from "../../../gen/atomix/primitive/primitive_pb.ts";
import { isConflict, isNotFound, serviceAccess, type ServiceContext } from "../../../runtime/run.ts";
import type { Access } from "../../../runtime/mod.ts";
import { type Primitive, PrimitiveKind } from "../kinds.ts";
import type { DatabaseCatalog } from "./database-service.ts";
import { alreadyExists, createRaced, fromKube, invalid, namespaceOf, notFound, requireName } from "./errors.ts";
import { recordName } from "./names.ts";

/** The API access the primitives API needs. */
export const access: Access[] = [{
  kind: PrimitiveKind,
  verbs: ["get", "list", "watch", "create", "delete"],
  why: "primitives API",
}];

const inDatabaseNamespace = (request: { database?: DatabaseId | undefined }) =>
  namespaceOf(request.database?.namespace, "database.namespace");
/** What each RPC does in Kubernetes terms, checked for the caller with --api-auth=kubernetes. */
export const rpcAccess = serviceAccess(PrimitiveService, {
  createPrimitive: {
    verb: "create",
    kind: PrimitiveKind,
    namespace: inDatabaseNamespace,
    describe: "in database.namespace",
  },
  getPrimitive: { verb: "get", kind: PrimitiveKind, namespace: inDatabaseNamespace, describe: "in database.namespace" },
  getPrimitives: {
    verb: "list",
    kind: PrimitiveKind,
    namespace: inDatabaseNamespace,
    describe: "in database.namespace",
  },
  deletePrimitive: {
    verb: "delete",
    kind: PrimitiveKind,
    namespace: inDatabaseNamespace,
    describe: "in database.namespace",
  },
});

const typeNames = Object.fromEntries(Object.entries(PrimitiveType).map(([name, number]) => [number, name])) as Record<
  number,
  string
>;
const knownTypes = Object.keys(PrimitiveType).filter((name) => name !== "UNKNOWN");

export const primitiveLabels = (database: string) => ({ app: "atomix", database, "atomix.io/primitive": "true" });

function typeName(type: number, field: string): string {
  const name = typeNames[type];
  if (!name || type === PrimitiveType.UNKNOWN) {
    throw invalid(`${field} must be one of ${knownTypes.join(", ")}, got ${name ?? type}`);
  }
  return name;
}

function toMetadata(primitive: Primitive): PrimitiveMetadata {
  const spec = primitive.spec ?? {};
  return create(PrimitiveMetadataSchema, {
    database: { name: spec.database ?? "", namespace: primitive.metadata.namespace ?? "" },
    primitive: { name: spec.name ?? "", namespace: spec.scope ?? "" },
    type: ((PrimitiveType as Record<string, number>)[spec.type ?? "UNKNOWN"] ??
      PrimitiveType.UNKNOWN) as PrimitiveTypeNumber,
  });
}

export function registerPrimitiveService(
  router: ConnectRouter,
  context: ServiceContext,
  catalog: DatabaseCatalog,
): void {
  // Created now, so that it starts (and syncs) with the others before the replica is ready.
  const primitives = context.informers.for(PrimitiveKind);

  const databaseOf = (id: DatabaseId | undefined) => ({
    name: requireName(id?.name, "database.name"),
    namespace: namespaceOf(id?.namespace, "database.namespace"),
  });
  const primitiveOf = (id: PrimitiveId | undefined) => {
    if (!id?.name) throw invalid("primitive.name is required");
    return { name: id.name, scope: id.namespace };
  };
  const find = (database: { name: string; namespace: string }, primitive: { name: string; scope: string }) =>
    primitives.get(`${database.namespace}/${recordName(database.name, primitive.scope, primitive.name)}`) as
      | Primitive
      | undefined;
  const requireDatabase = (database: { name: string; namespace: string }) => {
    const found = catalog.find(database.namespace, database.name);
    if (!found) throw notFound(`database ${database.namespace}/${database.name} does not exist`);
    return found;
  };
  const describe = (database: { name: string; namespace: string }, primitive: { name: string; scope: string }) =>
    `primitive ${JSON.stringify(primitive.name)} (scope ${
      JSON.stringify(primitive.scope)
    }) of database ${database.namespace}/${database.name}`;

  router.service(PrimitiveService, {
    async createPrimitive(request) {
      await primitives.synced;
      const database = databaseOf(request.database);
      const primitive = primitiveOf(request.primitive);
      const type = typeName(request.type, "type");
      const owner = requireDatabase(database);
      const matches = (existing: Primitive) => {
        if (existing.spec?.type !== type) {
          throw alreadyExists(`${describe(database, primitive)} exists with type ${existing.spec?.type}, not ${type}`);
        }
        return create(CreatePrimitiveResponseSchema, { primitive: toMetadata(existing) });
      };
      const cached = find(database, primitive);
      if (cached) return matches(cached);
      const name = recordName(database.name, primitive.scope, primitive.name);
      const body: Primitive = {
        apiVersion: PrimitiveKind.apiVersion,
        kind: PrimitiveKind.kind,
        metadata: {
          name,
          namespace: database.namespace,
          labels: primitiveLabels(database.name),
          ownerReferences: [{
            apiVersion: owner.apiVersion!,
            kind: owner.kind!,
            name: owner.metadata.name,
            uid: owner.metadata.uid!,
          }],
        },
        spec: { database: database.name, scope: primitive.scope, name: primitive.name, type },
      };
      try {
        const created = await context.client.create(PrimitiveKind, body);
        primitives.remember(created);
        return create(CreatePrimitiveResponseSchema, { primitive: toMetadata(created) });
      } catch (error) {
        if (!isConflict(error)) throw fromKube(error, `creating ${describe(database, primitive)}`);
        const existing = await context.client.get<Primitive>(PrimitiveKind, database.namespace, name).catch((raced) =>
          Promise.reject(createRaced(raced, describe(database, primitive)))
        );
        return matches(existing);
      }
    },

    async getPrimitive(request) {
      await primitives.synced;
      const database = databaseOf(request.database);
      const primitive = primitiveOf(request.primitive);
      const found = find(database, primitive);
      if (!found || found.metadata.deletionTimestamp) throw notFound(`${describe(database, primitive)} does not exist`);
      return create(GetPrimitiveResponseSchema, { primitive: toMetadata(found) });
    },

    async getPrimitives(request) {
      await primitives.synced;
      const namespace = namespaceOf(request.database?.namespace, "database.namespace");
      const database = request.database?.name ? requireName(request.database.name, "database.name") : undefined;
      const scope = request.primitive?.namespace || undefined;
      const name = request.primitive?.name || undefined;
      const type = request.type ? typeName(request.type, "type") : undefined;
      const found = (primitives.list(namespace) as Primitive[])
        .filter((p) => !p.metadata.deletionTimestamp)
        .filter((p) =>
          (database === undefined || p.spec?.database === database) && (scope === undefined || p.spec?.scope === scope)
        )
        .filter((p) => (name === undefined || p.spec?.name === name) && (type === undefined || p.spec?.type === type))
        .sort((a, b) =>
          [a.spec?.database, a.spec?.scope, a.spec?.name].join("/").localeCompare(
            [b.spec?.database, b.spec?.scope, b.spec?.name].join("/"),
          )
        );
      return create(GetPrimitivesResponseSchema, { primitives: found.map(toMetadata) });
    },

    async deletePrimitive(request) {
      await primitives.synced;
      const database = databaseOf(request.database);
      const primitive = primitiveOf(request.primitive);
      const found = find(database, primitive);
      if (!found) throw notFound(`${describe(database, primitive)} does not exist`);
      try {
        await context.client.delete(PrimitiveKind, database.namespace, found.metadata.name, {
          uid: found.metadata.uid,
        });
      } catch (error) {
        if (isNotFound(error)) throw notFound(`${describe(database, primitive)} does not exist`);
        throw fromKube(error, `deleting ${describe(database, primitive)}`);
      }
      primitives.forget(found);
      return create(DeletePrimitiveResponseSchema, { primitive: toMetadata(found) });
    },
  });
}
