// Converts between the protocol carried in PartitionGroupSpec.protocol (a google.protobuf.Any)
// and the protocol object of the PartitionGroup resource.
import { createRegistry, type DescMessage, fromJson } from "@bufbuild/protobuf";
import { type Any, anyPack, anyUnpack, type Duration } from "@bufbuild/protobuf/wkt";
import { type LogProtocol, LogProtocolSchema } from "../../../gen/atomix/protocols/log/log_pb.ts";
import {
  type PrimaryBackupProtocol,
  PrimaryBackupProtocolSchema,
} from "../../../gen/atomix/protocols/primarybackup/primarybackup_pb.ts";
import { type RaftProtocol, RaftProtocolSchema } from "../../../gen/atomix/protocols/raft/raft_pb.ts";
import type { ProtocolSpec } from "../kinds.ts";
import { protocolJson, type ProtocolName, protocolTypeNames } from "../protocols.ts";
import { invalid } from "./errors.ts";

const schemas: Record<ProtocolName, DescMessage> = {
  raft: RaftProtocolSchema,
  primaryBackup: PrimaryBackupProtocolSchema,
  log: LogProtocolSchema,
};
/** The protocol messages, for decoding Any fields (also in JSON requests). */
export const protocolRegistry = createRegistry(RaftProtocolSchema, PrimaryBackupProtocolSchema, LogProtocolSchema);
const typeUrlPrefix = "type.googleapis.com/";

function durationText(duration: Duration | undefined): string | undefined {
  if (!duration || (duration.seconds === 0n && duration.nanos === 0)) return undefined;
  const seconds = Number(duration.seconds) + duration.nanos / 1e9;
  return `${Number(seconds.toFixed(9))}s`;
}

function storageOf(
  storage: { maxEntrySize: number; segmentSize: number; level: number; flushOnCommit: boolean } | undefined,
) {
  if (!storage) return undefined;
  return {
    ...(storage.maxEntrySize ? { maxEntrySize: storage.maxEntrySize } : {}),
    ...(storage.segmentSize ? { segmentSize: storage.segmentSize } : {}),
    level: storage.level === 1 ? ("MAPPED" as const) : ("DISK" as const),
    ...(storage.flushOnCommit ? { flushOnCommit: true } : {}),
  };
}

function compactionOf(compaction: { dynamic: boolean; freeDiskBuffer: number } | undefined) {
  if (!compaction) return undefined;
  return {
    ...(compaction.dynamic ? { dynamic: true } : {}),
    ...(compaction.freeDiskBuffer ? { freeDiskBuffer: compaction.freeDiskBuffer } : {}),
  };
}

const defined = <T extends Record<string, unknown>>(object: T): T =>
  Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;

/** The resource's protocol choice for an Any; INVALID_ARGUMENT for anything else. */
export function protocolFromAny(
  any: Any | undefined,
  field = "spec.protocol",
): { name: ProtocolName; options: ProtocolSpec } {
  if (!any || !any.typeUrl) {
    throw invalid(
      `${field} is required: a google.protobuf.Any holding one of ${Object.values(protocolTypeNames).join(", ")}`,
    );
  }
  const name = (Object.keys(protocolTypeNames) as ProtocolName[]).find((key) =>
    any.typeUrl === typeUrlPrefix + protocolTypeNames[key]
  );
  if (!name) {
    throw invalid(
      `${field} has unknown type URL "${any.typeUrl}"; expected one of ${
        Object.values(protocolTypeNames).map((n) => typeUrlPrefix + n).join(", ")
      }`,
    );
  }
  let message;
  try {
    message = anyUnpack(any, protocolRegistry);
  } catch (error) {
    throw invalid(`${field} does not decode as ${protocolTypeNames[name]}: ${(error as Error).message}`);
  }
  if (name === "raft") {
    const raft = message as RaftProtocol;
    return {
      name,
      options: defined({
        electionTimeout: durationText(raft.electionTimeout),
        heartbeatInterval: durationText(raft.heartbeatInterval),
        storage: storageOf(raft.storage),
        compaction: compactionOf(raft.compaction),
      }),
    };
  }
  if (name === "log") {
    const log = message as LogProtocol;
    const strategies = ["HOST_AWARE", "RACK_AWARE", "ZONE_AWARE"] as const;
    return {
      name,
      options: defined({
        memberGroupStrategy: strategies[log.memberGroupStrategy] ?? "HOST_AWARE",
        storage: storageOf(log.storage),
        compaction: compactionOf(log.compaction),
      }),
    };
  }
  const primaryBackup = message as PrimaryBackupProtocol;
  return {
    name,
    options: {
      backups: primaryBackup.backups,
      replication: primaryBackup.replication === 1 ? "ASYNCHRONOUS" : "SYNCHRONOUS",
    },
  };
}

/** The Any for a resource's protocol choice. */
export function protocolToAny(name: ProtocolName, options: ProtocolSpec): Any {
  const schema = schemas[name];
  return anyPack(schema, fromJson(schema, protocolJson(name, options, `spec.${name}`)));
}
