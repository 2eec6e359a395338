// Valid requests for every method the Atomix controller serves, which the fuzz test mutates:
// the four Atomix services and the runtime's health and reflection services.
import { create, type DescMethod, type DescService, toBinary, toJsonString } from "@bufbuild/protobuf";
import { ControllerService } from "../../gen/atomix/controller/controller_pb.ts";
import { DatabaseService } from "../../gen/atomix/database/database_pb.ts";
import { MembershipService } from "../../gen/atomix/membership/membership_pb.ts";
import { PrimitiveService } from "../../gen/atomix/primitive/primitive_pb.ts";
import { Health } from "../../runtime/gen/grpc/health/v1/health_pb.ts";
import { ServerReflection as ReflectionV1 } from "../../runtime/gen/grpc/reflection/v1/reflection_pb.ts";
import { ServerReflection as ReflectionV1alpha } from "../../runtime/gen/grpc/reflection/v1alpha/reflection_pb.ts";
import { protocolRegistry, protocolToAny } from "../../functions/atomix-controller/api/protocol-any.ts";

export const fuzzedServices: DescService[] = [
  ControllerService,
  DatabaseService,
  PrimitiveService,
  MembershipService,
  Health,
  ReflectionV1,
  ReflectionV1alpha,
];

export interface MethodSeeds {
  method: DescMethod;
  path: string;
  /** Unary in Connect's sense: an unenveloped body. */
  unary: boolean;
  binary: Uint8Array[];
  json: string[];
}

function requests(method: DescMethod, namespace: string): Record<string, unknown>[] {
  const group = { name: "fuzz", namespace };
  const database = { name: "db", namespace };
  const reflection = [{ messageRequest: { case: "listServices", value: "" } }, {
    messageRequest: { case: "fileContainingSymbol", value: "atomix.controller.ControllerService" },
  }, { messageRequest: { case: "fileByFilename", value: "atomix/database/database.proto" } }];
  const byMethod: Record<string, Record<string, unknown>[]> = {
    CreatePartitionGroup: [{
      id: group,
      spec: { partitions: 1, partitionSize: 1, protocol: protocolToAny("raft", {}) },
    }],
    DeletePartitionGroup: [{ id: group }],
    GetPartitionGroups: [{ id: { namespace } }, { id: group }],
    EnterElection: [{ partitionId: { group, partition: 1 }, member: "fuzz-member" }],
    GetDatabases: [{ id: { namespace } }, { namespace }],
    GetDatabase: [{ id: database }],
    CreatePrimitive: [{ database, primitive: { name: "p", namespace: "scope" }, type: 1 }],
    GetPrimitive: [{ database, primitive: { name: "p", namespace: "scope" } }],
    GetPrimitives: [{ database: { namespace }, type: 1 }],
    DeletePrimitive: [{ database, primitive: { name: "p", namespace: "scope" } }],
    JoinGroup: [{ groupId: { name: "fuzz", namespace }, member: { id: { name: "fuzz-member" }, host: "h", port: 1 } }, {
      groupId: { name: "fuzz", namespace },
    }],
    Check: [{ service: "" }, { service: "atomix.database.DatabaseService" }],
    List: [{}],
    Watch: [{ service: "" }],
    ServerReflectionInfo: reflection,
  };
  const found = byMethod[method.name];
  if (!found) throw new Error(`no fuzz seed for ${method.parent.typeName}/${method.name}`);
  return found;
}

/** The seeds of each method of a service, with requests naming `namespace`. */
export function seedsOf(service: DescService, namespace: string): MethodSeeds[] {
  return service.methods.map((method) => {
    const messages = requests(method, namespace).map((init) => create(method.input, init as never));
    return {
      method,
      path: `/${service.typeName}/${method.name}`,
      unary: method.methodKind === "unary",
      binary: messages.map((message) => toBinary(method.input, message)),
      json: messages.map((message) => toJsonString(method.input, message, { registry: protocolRegistry })),
    };
  });
}
