// The three partition protocols: which one a spec chose, its image, and the protocol.json
// that storage nodes read (proto3 JSON of the protocol message).
import { create, type JsonObject, toJson } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import {
  CompactionSpecSchema as LogCompactionSpecSchema,
  LogProtocolSchema,
  StorageLevel as LogStorageLevel,
  StorageSpecSchema as LogStorageSpecSchema,
} from "../../gen/atomix/protocols/log/log_pb.ts";
import { PrimaryBackupProtocolSchema } from "../../gen/atomix/protocols/primarybackup/primarybackup_pb.ts";
import {
  CompactionSpecSchema as RaftCompactionSpecSchema,
  RaftProtocolSchema,
  StorageLevel as RaftStorageLevel,
  StorageSpecSchema as RaftStorageSpecSchema,
} from "../../gen/atomix/protocols/raft/raft_pb.ts";
import type { ProtocolChoice, ProtocolSpec } from "./kinds.ts";

export type ProtocolName = "raft" | "primaryBackup" | "log";

export const protocolNames: readonly ProtocolName[] = ["raft", "primaryBackup", "log"];

/** Images used when the protocol does not name one; the tag is spec.version. */
export const defaultImages: Record<ProtocolName, string> = {
  raft: "atomix/raft-replica",
  primaryBackup: "atomix/primary-backup-replica",
  log: "atomix/log-replica",
};

/** Full protobuf names, as carried in a google.protobuf.Any type URL. */
export const protocolTypeNames: Record<ProtocolName, string> = {
  raft: "atomix.protocols.raft.RaftProtocol",
  primaryBackup: "atomix.protocols.primarybackup.PrimaryBackupProtocol",
  log: "atomix.protocols.log.LogProtocol",
};

export class SpecError extends Error {}

export interface ChosenProtocol {
  name: ProtocolName;
  options: ProtocolSpec;
}

export function chosenProtocol(spec: ProtocolChoice | undefined): ChosenProtocol {
  const chosen = protocolNames.filter((name) => spec?.[name] !== undefined && spec?.[name] !== null);
  if (chosen.length !== 1) {
    throw new SpecError(
      chosen.length === 0
        ? "spec must set exactly one protocol: raft, primaryBackup or log"
        : `spec sets ${chosen.join(" and ")}; set exactly one protocol`,
    );
  }
  return { name: chosen[0]!, options: spec![chosen[0]!] ?? {} };
}

export function imageFor(name: ProtocolName, options: ProtocolSpec, version: string): string {
  return options.image || `${defaultImages[name]}:${version}`;
}

const durationPattern = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const unitSeconds: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** Parses "500ms", "5s", "1.5m" or "1h" into a google.protobuf.Duration; `field` names the input in errors. */
export function parseDuration(text: string, field: string) {
  const match = durationPattern.exec(text);
  if (!match) throw new SpecError(`${field} "${text}" is not a duration such as 500ms, 5s, 1m or 1h`);
  const totalNanos = BigInt(Math.round(Number(match[1]) * unitSeconds[match[2]!]! * 1e9));
  return create(DurationSchema, { seconds: totalNanos / 1_000_000_000n, nanos: Number(totalNanos % 1_000_000_000n) });
}

/** protocol.json: the chosen protocol's message in proto3 JSON. */
export function protocolJson(name: ProtocolName, options: ProtocolSpec, field: string): JsonObject {
  const storage = options.storage
    ? {
      maxEntrySize: options.storage.maxEntrySize ?? 0,
      segmentSize: options.storage.segmentSize ?? 0,
      mapped: options.storage.level === "MAPPED",
      flushOnCommit: options.storage.flushOnCommit ?? false,
    }
    : undefined;
  const compaction = options.compaction
    ? { dynamic: options.compaction.dynamic ?? false, freeDiskBuffer: options.compaction.freeDiskBuffer ?? 0 }
    : undefined;
  if (name === "raft") {
    return toJson(
      RaftProtocolSchema,
      create(RaftProtocolSchema, {
        electionTimeout: options.electionTimeout
          ? parseDuration(options.electionTimeout, `${field}.electionTimeout`)
          : undefined,
        heartbeatInterval: options.heartbeatInterval
          ? parseDuration(options.heartbeatInterval, `${field}.heartbeatInterval`)
          : undefined,
        ...(storage
          ? {
            storage: create(RaftStorageSpecSchema, {
              ...storage,
              level: storage.mapped ? RaftStorageLevel.MAPPED : RaftStorageLevel.DISK,
            }),
          }
          : {}),
        ...(compaction ? { compaction: create(RaftCompactionSpecSchema, compaction) } : {}),
      }),
    ) as JsonObject;
  }
  if (name === "log") {
    const strategies = { HOST_AWARE: 0, RACK_AWARE: 1, ZONE_AWARE: 2 } as const;
    return toJson(
      LogProtocolSchema,
      create(LogProtocolSchema, {
        memberGroupStrategy: strategies[options.memberGroupStrategy ?? "HOST_AWARE"],
        ...(storage
          ? {
            storage: create(LogStorageSpecSchema, {
              ...storage,
              level: storage.mapped ? LogStorageLevel.MAPPED : LogStorageLevel.DISK,
            }),
          }
          : {}),
        ...(compaction ? { compaction: create(LogCompactionSpecSchema, compaction) } : {}),
      }),
    ) as JsonObject;
  }
  return toJson(
    PrimaryBackupProtocolSchema,
    create(PrimaryBackupProtocolSchema, {
      backups: options.backups ?? 1,
      replication: options.replication === "ASYNCHRONOUS" ? 1 : 0,
    }),
  ) as JsonObject;
}
