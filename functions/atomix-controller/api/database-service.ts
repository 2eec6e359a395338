// atomix.database.DatabaseService, and the same data in atomix.controller's older shape
// (ControllerService.GetDatabases). Databases and their partitions come from the runtime's
// cache; a partition's endpoint is its Service's cluster DNS name on the api port.
import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import {
  DatabaseSchema as ControllerDatabaseSchema,
  type GetDatabasesRequest as ControllerGetDatabasesRequest,
  type GetDatabasesResponse as ControllerGetDatabasesResponse,
  GetDatabasesResponseSchema as ControllerGetDatabasesResponseSchema,
} from "../../../gen/atomix/controller/controller_pb.ts";
import {
  type Database as DatabaseMessage,
  DatabaseSchema,
  DatabaseService,
  GetDatabaseResponseSchema,
  GetDatabasesResponseSchema,
} from "../../../gen/atomix/database/database_pb.ts";
import type { Access, KubeObject } from "../../../runtime/mod.ts";
import { serviceAccess, type ServiceContext } from "../../../runtime/run.ts";
import { DatabaseKind, type DatabasePartition, DatabasePartitionKind } from "../kinds.ts";
import { apiPort } from "../replicas.ts";
import { namespaceOf, notFound, requireName } from "./errors.ts";

/** The API access GetDatabase(s) needs. */
export const access: Access[] = [
  { kind: DatabaseKind, verbs: ["list", "watch"], why: "databases API" },
  { kind: DatabasePartitionKind, verbs: ["list", "watch"], why: "databases API" },
];

/** What each RPC does in Kubernetes terms, checked for the caller with --api-auth=kubernetes. */
export const rpcAccess = serviceAccess(DatabaseService, {
  getDatabase: {
    verb: "get",
    kind: DatabaseKind,
    namespace: (r) => namespaceOf(r.id?.namespace, "id.namespace"),
    name: (r) => r.id?.name,
    describe: "id.name in id.namespace",
  },
  getDatabases: {
    verb: "list",
    kind: DatabaseKind,
    namespace: (r) => namespaceOf(r.namespace, "namespace"),
    describe: "in namespace",
  },
});

export interface DatabaseServiceOptions {
  clusterDomain: string;
}

interface DatabaseView {
  name: string;
  namespace: string;
  partitions: Array<{ id: number; host: string; port: number }>;
}

export class DatabaseCatalog {
  readonly #context: ServiceContext;
  readonly #options: DatabaseServiceOptions;

  constructor(context: ServiceContext, options: DatabaseServiceOptions) {
    this.#context = context;
    this.#options = options;
  }

  get #databases() {
    return this.#context.informers.for(DatabaseKind);
  }

  get #partitions() {
    return this.#context.informers.for(DatabasePartitionKind);
  }

  /** The live partitions of a namespace's databases, by database name, in partition order. */
  #partitionsByDatabase(namespace: string): Map<string, DatabasePartition[]> {
    const byDatabase = new Map<string, DatabasePartition[]>();
    for (const partition of this.#partitions.list(namespace) as DatabasePartition[]) {
      const database = partition.spec?.database;
      if (database === undefined || partition.metadata.deletionTimestamp) continue;
      let list = byDatabase.get(database);
      if (!list) byDatabase.set(database, list = []);
      list.push(partition);
    }
    for (const list of byDatabase.values()) {
      list.sort((a, b) => (a.spec?.partitionId ?? 0) - (b.spec?.partitionId ?? 0));
    }
    return byDatabase;
  }

  #view(database: KubeObject, partitions: readonly DatabasePartition[] = []): DatabaseView {
    const namespace = database.metadata.namespace!;
    return {
      name: database.metadata.name,
      namespace,
      partitions: partitions.map((p) => ({
        id: p.spec?.partitionId ?? 0,
        host: `${p.spec?.serviceName ?? p.metadata.name}.${namespace}.svc.${this.#options.clusterDomain}`,
        port: apiPort,
      })),
    };
  }

  /** The live Database object, or undefined. */
  find(namespace: string, name: string): KubeObject | undefined {
    const found = this.#databases.get(`${namespace}/${name}`);
    return found && !found.metadata.deletionTimestamp ? found : undefined;
  }

  get(namespace: string, name: string): DatabaseView | undefined {
    const found = this.find(namespace, name);
    return found && this.#view(found, this.#partitionsByDatabase(namespace).get(name));
  }

  list(namespace: string): DatabaseView[] {
    const partitions = this.#partitionsByDatabase(namespace);
    return this.#databases
      .list(namespace)
      .filter((db) => !db.metadata.deletionTimestamp)
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
      .map((db) => this.#view(db, partitions.get(db.metadata.name)));
  }

  /** atomix.controller.ControllerService/GetDatabases: all of a namespace, or one by name (an empty list when missing). */
  controllerGetDatabases(request: ControllerGetDatabasesRequest): ControllerGetDatabasesResponse {
    const namespace = namespaceOf(request.id?.namespace, "id.namespace");
    const views = request.id?.name
      ? [this.get(namespace, requireName(request.id.name, "id.name"))].filter((v) => v !== undefined)
      : this.list(namespace);
    return create(ControllerGetDatabasesResponseSchema, {
      databases: views.map((view) =>
        create(ControllerDatabaseSchema, {
          id: { name: view.name, namespace: view.namespace },
          partitions: view.partitions.map((p) => ({ partitionId: p.id, endpoints: [{ host: p.host, port: p.port }] })),
        })
      ),
    });
  }
}

function toMessage(view: DatabaseView): DatabaseMessage {
  return create(DatabaseSchema, {
    id: { name: view.name, namespace: view.namespace },
    partitions: view.partitions.map((p) => ({
      partitionId: { partition: p.id },
      endpoints: [{ host: p.host, port: p.port }],
    })),
  });
}

export function registerDatabaseService(router: ConnectRouter, catalog: DatabaseCatalog): void {
  router.service(DatabaseService, {
    async getDatabase(request) {
      const name = requireName(request.id?.name, "id.name");
      const namespace = namespaceOf(request.id?.namespace, "id.namespace");
      const view = catalog.get(namespace, name);
      if (!view) throw notFound(`database ${namespace}/${name} does not exist`);
      return create(GetDatabaseResponseSchema, { database: toMessage(view) });
    },
    async getDatabases(request) {
      const namespace = namespaceOf(request.namespace, "namespace");
      return create(GetDatabasesResponseSchema, { databases: catalog.list(namespace).map(toMessage) });
    },
  });
}
