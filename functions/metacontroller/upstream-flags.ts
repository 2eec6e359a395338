// Upstream Metacontroller's command line (metacontroller v4: its own flags, controller-runtime's
// --kubeconfig and zap's logging flags) read the way Go's flag package reads it, and turned into
// this runtime's: a flag with an equivalent here becomes that flag; one whose meaning the runtime
// covers by design is checked and accepted; one that asks for what is not here is refused,
// naming the flag and what is supported. Pure; main.ts runs what it returns, and prints
// upstreamUsage() under the runtime's own --help.
import { type LabelSelector } from "./types.ts";
import { formatLabelSelector, LabelSelectorSyntaxError, parseLabelSelector } from "./label-selector.ts";

/** A flag that cannot be used as given; the message names it. main.ts exits with code 2 on it. */
export class FlagError extends Error {}

/** A listening address as Go writes it ("host:port"); an empty host means every interface. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** --target-label-selector as read: its text, the selector, and the selector written canonically. */
export interface TargetSelector {
  text: string;
  selector: LabelSelector;
  canonical: string;
}

/** What upstream's command line says, in this runtime's terms. */
export interface UpstreamReading {
  /** The command line for the runtime's parser: its own flags as given, upstream's as their equivalents. */
  argv: string[];
  /** --target-label-selector; undefined (or blank) runs every resource. */
  targetLabelSelector?: TargetSelector;
  /** --metrics-address, when given: /metrics is served there too, unless it is the health port. */
  metricsAddress?: ListenAddress;
  /** Upstream flags given that change nothing here, with their values, for one line in the log. */
  noEffect: Record<string, string>;
}

type GoType = "bool" | "duration" | "int" | "float" | "string";

interface UpstreamFlag {
  /** Go's type of the value: how it is read (a bare bool flag means true and takes no next argument). */
  type: GoType;
  /** Upstream's default, for --help. */
  upstreamDefault: string;
  /** What the flag does here, for --help. */
  here: string;
  /** Reads a value given on the command line; throws FlagError to refuse it. */
  read(value: string, reading: Reading): void;
}

interface Reading extends UpstreamReading {
  /** Runtime flags that any later flag overrides, whatever their order (--zap-devel's level). */
  front: string[];
}

/** strconv.ParseBool's spellings. */
const goBooleans = new Map<string, boolean>([
  ...["1", "t", "T", "true", "TRUE", "True"].map((word) => [word, true] as const),
  ...["0", "f", "F", "false", "FALSE", "False"].map((word) => [word, false] as const),
]);
const goDuration = /^[-+]?(0|((\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$/;
const goInt = /^[-+]?\d+$/;
const goFloat = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function boolOf(flag: string, value: string): boolean {
  const parsed = goBooleans.get(value);
  if (parsed === undefined) throw new FlagError(`--${flag} must be true or false (or 1, 0, t, f), got "${value}"`);
  return parsed;
}

function checked(flag: string, type: GoType, value: string): string {
  const ok = type === "duration"
    ? goDuration.test(value)
    : type === "int"
    ? goInt.test(value)
    : type === "float"
    ? goFloat.test(value)
    : true;
  const what = { duration: "a duration such as 30s or 1m30s", int: "a whole number", float: "a number" } as const;
  if (!ok) throw new FlagError(`--${flag} must be ${what[type as keyof typeof what]}, got "${value}"`);
  return value;
}

/** Reads one of the given words, case-insensitively as zap does; anything else is refused. */
function oneOf(flag: string, value: string, words: readonly string[]): string {
  const lower = value.toLowerCase();
  if (!words.includes(lower)) throw new FlagError(`--${flag} must be one of ${words.join(", ")}, got "${value}"`);
  return lower;
}

/** "host:port", ":port", "[::1]:port" → host and port; no service names. */
export function listenAddress(flag: string, value: string): ListenAddress {
  const match = /^(\[([^\]]*)\]|([^:\[\]]*)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[4]);
  if (!match || port > 65535) {
    throw new FlagError(`--${flag} must be an address such as :8081 or 127.0.0.1:8081, got "${value}"`);
  }
  return { host: match[2] ?? match[3] ?? "", port };
}

/**
 * Upstream's own flags (and zap's), by name, with what each does here. --kubeconfig,
 * --leader-election-namespace and --leader-election-id are the runtime's own flags too, and
 * pass through as they are.
 */
export const upstreamFlags: Readonly<Record<string, UpstreamFlag>> = {
  "target-label-selector": {
    type: "string",
    upstreamDefault: '""',
    here:
      "Runs only the CompositeControllers and DecoratorControllers whose labels match (kubectl -l syntax: =, ==, !=, in, notin, key, !key); the others are left alone, their status too. With it and no --leader-election-id, the Lease is metacontroller-<hash of the selector>, so instances with different selectors never wait on one another",
    read(value, reading) {
      if (!value.trim()) {
        delete reading.targetLabelSelector;
        return;
      }
      try {
        const selector = parseLabelSelector(value);
        reading.targetLabelSelector = { text: value, selector, canonical: formatLabelSelector(selector) };
      } catch (error) {
        if (!(error instanceof LabelSelectorSyntaxError)) throw error;
        throw new FlagError(`--target-label-selector "${value}" is not a label selector: ${error.message}`);
      }
    },
  },
  workers: {
    type: "int",
    upstreamDefault: "5",
    here: "Same as --concurrency: syncs each controller runs at once (5 here too)",
    read(value, reading) {
      if (!goInt.test(value) || Number(value) < 1) {
        throw new FlagError(`--workers must be a whole number >= 1, got "${value}"`);
      }
      reading.argv.push(`--concurrency=${Number(value)}`);
    },
  },
  "leader-election": {
    type: "bool",
    upstreamDefault: "false",
    here:
      "Same as --leader-elect. Upstream's default is false; here election is on unless this or --leader-elect says false",
    read(value, reading) {
      reading.argv.push(`--leader-elect=${boolOf("leader-election", value)}`);
    },
  },
  "health-probe-bind-address": {
    type: "string",
    upstreamDefault: ":8081",
    here:
      "Same as --host and --port (whose default is 8081 here): where /healthz, /readyz and /metrics are served; :8081 means every interface (0.0.0.0). 0 (no probes) is refused",
    read(value, reading) {
      if (value === "0") {
        throw new FlagError(
          "--health-probe-bind-address=0 (no probes) is not supported: /healthz and /readyz are always served; give an address such as :8081",
        );
      }
      const { host, port } = listenAddress("health-probe-bind-address", value);
      reading.argv.push(`--host=${host || "0.0.0.0"}`, `--port=${port}`);
    },
  },
  "metrics-address": {
    type: "string",
    upstreamDefault: ":9999",
    here:
      "/metrics is always served on the health port; this serves it on another address too (upstream's default :9999 is not opened unless given). 0 (no metrics) is refused",
    read(value, reading) {
      if (value === "0") {
        throw new FlagError(
          "--metrics-address=0 (no metrics) is not supported: /metrics is always served on the health port (--health-probe-bind-address); leave the flag out",
        );
      }
      reading.metricsAddress = listenAddress("metrics-address", value);
    },
  },
  "zap-log-level": {
    type: "string",
    upstreamDefault: "info",
    here:
      "Same as --log-level: debug, info or error; a whole number >= 1 (upstream's more verbose debug levels) is debug, panic is error",
    read(value, reading) {
      const lower = value.toLowerCase();
      const level = ["debug", "info", "error"].includes(lower)
        ? lower
        : lower === "panic"
        ? "error"
        : goInt.test(value) && Number(value) >= 1
        ? "debug"
        : undefined;
      if (!level) {
        throw new FlagError(
          `--zap-log-level must be debug, info, error, panic or a whole number >= 1 (verbose debug), got "${value}"`,
        );
      }
      reading.argv.push(`--log-level=${level}`);
    },
  },
  "zap-devel": {
    type: "bool",
    upstreamDefault: "false",
    here: "Makes debug the default log level (a level flag, before or after it, wins); logs stay JSON lines",
    read(value, reading) {
      reading.front = boolOf("zap-devel", value) ? ["--log-level=debug"] : [];
    },
  },
  "zap-encoder": {
    type: "string",
    upstreamDefault: "json",
    here: "json only: logs are JSON lines, one per entry; console is refused",
    read(value) {
      if (oneOf("zap-encoder", value, ["json", "console"]) === "console") {
        throw new FlagError(
          '--zap-encoder=console is not supported: logs are JSON lines; the supported value is "json"',
        );
      }
    },
  },
  "zap-stacktrace-level": {
    type: "string",
    upstreamDefault: "error",
    here: "info, error or panic; accepted with no effect: log lines carry an error's message, not a stack trace",
    read(value, reading) {
      reading.noEffect["zap-stacktrace-level"] = oneOf("zap-stacktrace-level", value, ["info", "error", "panic"]);
    },
  },
  "zap-time-encoding": {
    type: "string",
    upstreamDefault: "rfc3339",
    here:
      "epoch, millis, nanos, iso8601, rfc3339 or rfc3339nano; accepted with no effect: a line's time is always ISO 8601 in UTC, to the millisecond",
    read(value, reading) {
      reading.noEffect["zap-time-encoding"] = oneOf("zap-time-encoding", value, [
        "epoch",
        "millis",
        "nanos",
        "iso8601",
        "rfc3339",
        "rfc3339nano",
      ]);
    },
  },
  "discovery-interval": {
    type: "duration",
    upstreamDefault: "30s",
    here:
      "Accepted with no effect: a resource's kinds are looked up by discovery when it is read, and again every 5 s while they are not served",
    read(value, reading) {
      reading.noEffect["discovery-interval"] = checked("discovery-interval", "duration", value);
    },
  },
  "cache-flush-interval": {
    type: "duration",
    upstreamDefault: "30m",
    here:
      "Accepted with no effect: caches follow watches and list again only when a watch falls too far behind; a resource's resyncPeriodSeconds still resyncs its parents",
    read(value, reading) {
      reading.noEffect["cache-flush-interval"] = checked("cache-flush-interval", "duration", value);
    },
  },
  "client-go-qps": {
    type: "float",
    upstreamDefault: "5",
    here: "Accepted with no effect: requests are not rate-limited here; the API server's priority and fairness is",
    read(value, reading) {
      reading.noEffect["client-go-qps"] = checked("client-go-qps", "float", value);
    },
  },
  "client-go-burst": {
    type: "int",
    upstreamDefault: "10",
    here: "Accepted with no effect, as --client-go-qps",
    read(value, reading) {
      reading.noEffect["client-go-burst"] = checked("client-go-burst", "int", value);
    },
  },
  "events-qps": {
    type: "float",
    upstreamDefault: "0.0033 (1 per 5 minutes)",
    here:
      "Accepted; Events are rate-limited per object at upstream's defaults (a burst of 25, then one per 5 minutes), whatever this says",
    read(value, reading) {
      reading.noEffect["events-qps"] = checked("events-qps", "float", value);
    },
  },
  "events-burst": {
    type: "int",
    upstreamDefault: "25",
    here: "Accepted, as --events-qps: the burst is 25",
    read(value, reading) {
      reading.noEffect["events-burst"] = checked("events-burst", "int", value);
    },
  },
  "pprof-address": {
    type: "string",
    upstreamDefault: "0",
    here: "0 (off) only: pprof is not served here; profile with node --cpu-prof or --inspect",
    read(value) {
      if (value !== "0") {
        throw new FlagError(
          `--pprof-address=${value} is not supported: pprof is not served here; the supported value is 0 (off)`,
        );
      }
    },
  },
  "leader-election-resource-lock": {
    type: "string",
    upstreamDefault: "leases",
    here: "leases only: the Lease is a coordination.k8s.io/v1 Lease",
    read(value) {
      if (value !== "leases") {
        throw new FlagError(
          `--leader-election-resource-lock=${value} is not supported; the supported value is "leases"`,
        );
      }
    },
  },
  "apply-strategy": {
    type: "string",
    upstreamDefault: "dynamic-apply",
    here: "dynamic-apply only (writes as upstream's default; see the README); server-side-apply is refused",
    read(value) {
      if (value !== "dynamic-apply" && value !== "") {
        throw new FlagError(
          `--apply-strategy=${value} is not supported; the supported value is "dynamic-apply"`,
        );
      }
    },
  },
  "apply-strategy-ssa-field-manager": {
    type: "string",
    upstreamDefault: "metacontroller",
    here:
      "Accepted with no effect: upstream uses it only with --apply-strategy=server-side-apply; writes here use the field manager metacontroller",
    read(value, reading) {
      reading.noEffect["apply-strategy-ssa-field-manager"] = value;
    },
  },
};

/** Flags spelled alike here and upstream: they pass through, only their Go spellings made ours. */
const sharedFlags = ["kubeconfig", "leader-election-namespace", "leader-election-id"];

/**
 * Reads a command line that may use upstream Metacontroller's flags, and Go's flag syntax for
 * any flag: `-flag` as `--flag`, `--flag value` as `--flag=value`, a bare boolean flag as true
 * (never taking the next argument, so `--leader-election false` leaves "false" as an unexpected
 * argument), and `--` ending the flags. Upstream flags become the runtime's equivalents in place,
 * so of two spellings of one setting the last given wins; the runtime's own flags pass through.
 *
 * @throws FlagError naming the flag, for a value that cannot be read or asks for what is not here.
 */
export function readUpstreamFlags(argv: readonly string[]): UpstreamReading {
  const reading: Reading = { argv: [], front: [], noEffect: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      // Go stops reading flags here; what follows would be arguments, and there are none.
      if (i + 1 < argv.length) throw new FlagError(`unexpected argument "${argv[i + 1]}" after --`);
      break;
    }
    const match = /^--?([A-Za-z0-9][A-Za-z0-9_.-]*)(=[\s\S]*)?$/.exec(arg);
    if (!match) {
      reading.argv.push(arg);
      continue;
    }
    const name = match[1]!;
    const inline = match[2]?.slice(1);
    const flag = Object.hasOwn(upstreamFlags, name) ? upstreamFlags[name] : undefined;
    if (flag) {
      let value = inline;
      if (value === undefined) value = flag.type === "bool" ? "true" : argv[++i];
      if (value === undefined) throw new FlagError(`flag --${name} needs a value`);
      flag.read(value, reading);
    } else if (name === "h" || name === "help") {
      reading.argv.push("--help");
    } else if (sharedFlags.includes(name) && inline === undefined && argv[i + 1] !== undefined) {
      // Go takes the next argument as the value, whatever it looks like.
      reading.argv.push(`--${name}=${argv[++i]}`);
    } else {
      // The runtime's own flags, in Go's single-dash spelling too; the runtime's parser judges them.
      reading.argv.push(arg.startsWith("--") || name.length < 2 ? arg : `-${arg}`);
    }
  }
  const { front, ...rest } = reading;
  return { ...rest, argv: [...front, ...reading.argv] };
}

/** The --help section for upstream's flags, listed after the runtime's. */
export function upstreamUsage(): string {
  const lines = [
    "",
    "Upstream Metacontroller's flags (metacontroller v4), read as Go reads them (--flag=value, --flag value,",
    "-flag; a bare boolean flag means true), with no environment variables. A flag the runtime has an",
    "equivalent of is that flag; the last one given wins:",
  ];
  for (const [name, flag] of Object.entries(upstreamFlags)) {
    lines.push(`  --${name} (${flag.type}, upstream's default ${flag.upstreamDefault})`, `      ${flag.here}`);
  }
  lines.push(
    `  ${sharedFlags.map((name) => `--${name}`).join(", ")}`,
    "      The runtime's flags of the same names, above. The Lease's name defaults to metacontroller, as upstream's",
    "      --leader-election-id, or metacontroller-<hash> with --target-label-selector",
  );
  return lines.join("\n");
}
