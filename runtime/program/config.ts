// Configuration by flags and environment variables. Each option names its flag, its
// variable and its default; `--help` prints them. Flags win over the environment.
import { defaultKubeconfigFound } from "../kube/kubeconfig-search.ts";
import { type LogLevel, logLevels } from "../log.ts";
import {
  type ApiAuthMode,
  apiAuthModes,
  defaultCompactionIdleSeconds,
  defaultConcurrency,
  defaultKubeApiConnections,
  defaultLeaseDurationSeconds,
  defaultMaxConcurrentStreams,
  defaultMaxHeaderBytes,
  defaultMaxMessageBytes,
  defaultRenewDeadlineSeconds,
  defaultRetryPeriodSeconds,
  defaultReviewCacheTtlSeconds,
} from "../defaults.ts";

/** The port the runtime serves RPCs, health and metrics on, unless the program or --port says otherwise. */
export const defaultPort = 8080;

/** How an option's text is read: as is, as a non-negative number, or as true/false (also 1/0, yes/no). */
export type OptionType = "string" | "number" | "boolean";

/**
 * A flag of a program, with the environment variable that also sets it: declared in
 * program({ flags }), parsed beside the runtime's own, and listed by `--help`.
 */
export interface OptionSpec {
  /** The flag's name without dashes, e.g. "replicas" for --replicas=3 (or --replicas 3). */
  flag: string;
  /** The environment variable read when the flag is not given, e.g. "REPLICAS"; empty values are ignored. */
  env: string;
  /** How the value is parsed; a boolean flag given alone (--dry-run) means true. */
  type: OptionType;
  /** The value when neither the flag nor the variable is set; should match `type`. */
  default: string | number | boolean;
  /** One line for --help. */
  description: string;
}

/** The type of each of the runtime's own options. */
interface RuntimeOptionTypes {
  kubeconfig: "string";
  namespaces: "string";
  leaderElect: "boolean";
  leaseName: "string";
  leaseNamespace: "string";
  leaseDurationSeconds: "number";
  renewDeadlineSeconds: "number";
  retryPeriodSeconds: "number";
  identity: "string";
  port: "number";
  host: "string";
  concurrency: "number";
  kubeApiConnections: "number";
  logLevel: "string";
  maxMessageBytes: "number";
  maxHeaderBytes: "number";
  maxConcurrentStreams: "number";
  apiAuth: "string";
  apiAuthCacheTtlSeconds: "number";
  tlsCertFile: "string";
  tlsPrivateKeyFile: "string";
  memoryCompactionIdleSeconds: "number";
}

/** An option whose value type is known from its declaration. */
export interface TypedOptionSpec<T extends OptionType> extends OptionSpec {
  type: T;
}

export const runtimeOptions: { readonly [K in keyof RuntimeOptionTypes]: TypedOptionSpec<RuntimeOptionTypes[K]> } = {
  kubeconfig: {
    flag: "kubeconfig",
    env: "KUBECONFIG",
    type: "string",
    default: "",
    description: "Path to a kubeconfig; empty means the in-cluster service account, then ~/.kube/config",
  },
  namespaces: {
    flag: "namespaces",
    env: "WATCH_NAMESPACES",
    type: "string",
    default: "",
    description: "Comma-separated namespaces to watch; empty means all namespaces",
  },
  leaderElect: {
    flag: "leader-elect",
    env: "LEADER_ELECT",
    type: "boolean",
    default: true,
    description: "Elect a leader through a Lease; only the leader runs controllers. Turn off only for a single replica",
  },
  leaseName: {
    flag: "leader-election-id",
    env: "LEADER_ELECTION_ID",
    type: "string",
    default: "",
    description: "Name of the Lease; empty means the manager's name",
  },
  leaseNamespace: {
    flag: "leader-election-namespace",
    env: "POD_NAMESPACE",
    type: "string",
    default: "",
    description: 'Namespace of the Lease; empty means the in-cluster namespace, else "default"',
  },
  leaseDurationSeconds: {
    flag: "leader-elect-lease-duration",
    env: "LEADER_ELECT_LEASE_DURATION",
    type: "number",
    default: defaultLeaseDurationSeconds,
    description: "Seconds a follower waits after the last renewal before taking the Lease",
  },
  renewDeadlineSeconds: {
    flag: "leader-elect-renew-deadline",
    env: "LEADER_ELECT_RENEW_DEADLINE",
    type: "number",
    default: defaultRenewDeadlineSeconds,
    description: "Seconds the leader keeps trying to renew before it stops writing",
  },
  retryPeriodSeconds: {
    flag: "leader-elect-retry-period",
    env: "LEADER_ELECT_RETRY_PERIOD",
    type: "number",
    default: defaultRetryPeriodSeconds,
    description: "Seconds between attempts to acquire or renew the Lease",
  },
  identity: {
    flag: "identity",
    env: "POD_NAME",
    type: "string",
    default: "",
    description: "This replica's identity in the Lease and in Events; empty means hostname_uuid",
  },
  port: {
    flag: "port",
    env: "PORT",
    type: "number",
    default: defaultPort,
    description: "Port for gRPC, gRPC-Web, Connect, /healthz, /readyz and /metrics",
  },
  host: { flag: "host", env: "HOST", type: "string", default: "0.0.0.0", description: "Address to listen on" },
  concurrency: {
    flag: "concurrency",
    env: "CONCURRENCY",
    type: "number",
    default: defaultConcurrency,
    description: "Concurrent syncs per controller",
  },
  kubeApiConnections: {
    flag: "kube-api-connections",
    env: "KUBE_API_CONNECTIONS",
    type: "number",
    default: defaultKubeApiConnections,
    description: "Connections to the API server that requests share, watches and the Lease aside; more wait",
  },
  logLevel: {
    flag: "log-level",
    env: "LOG_LEVEL",
    type: "string",
    default: "info",
    description: `Log level: ${logLevels.join(", ")}`,
  },
  maxMessageBytes: {
    flag: "max-message-bytes",
    env: "MAX_MESSAGE_BYTES",
    type: "number",
    default: defaultMaxMessageBytes,
    description:
      "Largest RPC request message; larger ones get RESOURCE_EXHAUSTED before they are read (grpc-go's default)",
  },
  maxHeaderBytes: {
    flag: "max-header-bytes",
    env: "MAX_HEADER_BYTES",
    type: "number",
    default: defaultMaxHeaderBytes,
    description: "Largest request headers (HTTP/1.1) or header list (HTTP/2)",
  },
  maxConcurrentStreams: {
    flag: "max-concurrent-streams",
    env: "MAX_CONCURRENT_STREAMS",
    type: "number",
    default: defaultMaxConcurrentStreams,
    description: "Streams (calls) one HTTP/2 connection may have open at once",
  },
  apiAuth: {
    flag: "api-auth",
    env: "API_AUTH",
    type: "string",
    default: "none",
    description: `Who may call the RPC API: ${
      apiAuthModes.join(", ")
    } (a bearer token checked by TokenReview, each RPC by SubjectAccessReview)`,
  },
  apiAuthCacheTtlSeconds: {
    flag: "api-auth-cache-ttl",
    env: "API_AUTH_CACHE_TTL",
    type: "number",
    default: defaultReviewCacheTtlSeconds,
    description: "Seconds a TokenReview or SubjectAccessReview answer is reused; 0 asks every time",
  },
  tlsCertFile: {
    flag: "tls-cert-file",
    env: "TLS_CERT_FILE",
    type: "string",
    default: "",
    description: "PEM certificate (chain) to serve TLS with on the port; reloaded when the file changes",
  },
  tlsPrivateKeyFile: {
    flag: "tls-private-key-file",
    env: "TLS_PRIVATE_KEY_FILE",
    type: "string",
    default: "",
    description: "PEM private key of --tls-cert-file",
  },
  memoryCompactionIdleSeconds: {
    flag: "memory-compaction-idle-seconds",
    env: "MEMORY_COMPACTION_IDLE_SECONDS",
    type: "number",
    default: defaultCompactionIdleSeconds,
    description:
      "After a burst of work, give the heap's unused pages back once the process has been idle this long; 0 never",
  },
};

/** Options as parsed, by key: numbers for "number" options, booleans for "boolean" ones, strings otherwise. */
export type Values<T extends Record<string, OptionSpec>> = {
  [K in keyof T]: T[K]["type"] extends "number" ? number : T[K]["type"] extends "boolean" ? boolean : string;
};

/**
 * The runtime's own settings, parsed from its flags and environment variables (`--help` lists
 * them with their defaults). Every program on the runtime takes them; a program may change
 * their defaults with `flagDefaults`.
 */
export interface RuntimeConfig {
  /** --kubeconfig ($KUBECONFIG): a kubeconfig path; "" means ~/.kube/config if there is one, else the pod's account. */
  kubeconfig: string;
  /** --namespaces ($WATCH_NAMESPACES): comma-separated namespaces to watch; "" (default) means all. */
  namespaces: string;
  /** --leader-elect ($LEADER_ELECT): elect a leader on a Lease, which alone runs controllers; default true. */
  leaderElect: boolean;
  /** --leader-election-id ($LEADER_ELECTION_ID): the Lease's name; "" means the program's name. */
  leaseName: string;
  /** --leader-election-namespace ($POD_NAMESPACE): the Lease's namespace; "" means the pod's, else "default". */
  leaseNamespace: string;
  /** --leader-elect-lease-duration: seconds a follower waits after the last renewal before taking over; default 15. */
  leaseDurationSeconds: number;
  /** --leader-elect-renew-deadline: seconds the leader keeps trying to renew before it stops writing; default 10. */
  renewDeadlineSeconds: number;
  /** --leader-elect-retry-period: seconds between attempts to take or renew the Lease; default 2. */
  retryPeriodSeconds: number;
  /** --identity ($POD_NAME): this replica's name in the Lease and in Events; "" means hostname_uuid. */
  identity: string;
  /** --port ($PORT): the port for gRPC, gRPC-Web, Connect, /healthz, /readyz and /metrics; default 8080; 0 any free. */
  port: number;
  /** --host ($HOST): the address to listen on; default "0.0.0.0". */
  host: string;
  /** --concurrency ($CONCURRENCY): syncs each controller runs at once; default 4. */
  concurrency: number;
  /**
   * --kube-api-connections ($KUBE_API_CONNECTIONS): connections to the API server that requests
   * share at most (watches and the leader's Lease have their own); more wait; default 32.
   */
  kubeApiConnections: number;
  /** --log-level ($LOG_LEVEL): the least severe level logged; default "info". */
  logLevel: LogLevel;
  /** --max-message-bytes: the largest RPC request message; default 4 MiB (grpc-go's). */
  maxMessageBytes: number;
  /** --max-header-bytes: the largest request headers (HTTP/1.1) or header list (HTTP/2); default 64 KiB. */
  maxHeaderBytes: number;
  /** --max-concurrent-streams: calls one HTTP/2 connection may have open at once; default 100. */
  maxConcurrentStreams: number;
  /** --api-auth ($API_AUTH): "none" (default), or "kubernetes": callers' tokens and calls reviewed by Kubernetes. */
  apiAuth: ApiAuthMode;
  /** --api-auth-cache-ttl: seconds a review's answer is reused; 0 asks every time; default 10. */
  apiAuthCacheTtlSeconds: number;
  /** --tls-cert-file ($TLS_CERT_FILE): a PEM certificate (chain) to serve TLS with, reloaded on change; "" for none. */
  tlsCertFile: string;
  /** --tls-private-key-file ($TLS_PRIVATE_KEY_FILE): the PEM key of tlsCertFile; given with it or not at all. */
  tlsPrivateKeyFile: string;
  /** --memory-compaction-idle-seconds: idle seconds after a burst before the heap is compacted; 0 never; default 10. */
  memoryCompactionIdleSeconds: number;
}

// RuntimeConfig spells out what runtimeOptions parse to; this stops compiling when the two part.
type Assert<T extends true> = T;
type Parsed = Values<typeof runtimeOptions> & { logLevel: LogLevel; apiAuth: ApiAuthMode };
type RuntimeConfigMatchesOptions = Assert<
  [RuntimeConfig] extends [Parsed] ? ([Parsed] extends [RuntimeConfig] ? true : false) : false
>;

/** A flag or environment variable with a value that cannot be used; the message names it and says why. */
export class ConfigError extends Error {}

/** Parses argv (without node and script) and the environment against the given options. */
export function parseOptions<T extends Record<string, OptionSpec>>(
  specs: T,
  argv: readonly string[],
  env: Record<string, string | undefined>,
): Values<T> & { help: boolean } {
  const byFlag = new Map(Object.entries(specs).map(([key, spec]) => [spec.flag, [key, spec] as const]));
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const fromEnv = env[spec.env];
    values[key] = fromEnv !== undefined && fromEnv !== "" ? convert(spec, fromEnv, `$${spec.env}`) : spec.default;
  }
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") {
      help = true;
      continue;
    }
    const match = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new ConfigError(`unexpected argument "${arg}"; see --help`);
    const [, flag, inline] = match;
    const found = byFlag.get(flag!);
    if (!found) throw new ConfigError(`unknown flag --${flag}; see --help`);
    const [key, spec] = found;
    let raw = inline;
    if (raw === undefined) {
      if (spec.type === "boolean" && (argv[i + 1] === undefined || argv[i + 1]!.startsWith("--"))) raw = "true";
      else raw = argv[++i];
    }
    if (raw === undefined) throw new ConfigError(`flag --${flag} needs a value`);
    values[key] = convert(spec, raw, `--${flag}`);
  }
  return { ...(values as Values<T>), help };
}

function convert(spec: OptionSpec, raw: string, where: string): string | number | boolean {
  if (spec.type === "number") {
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) {
      throw new ConfigError(`${where} must be a non-negative number, got "${raw}"`);
    }
    return value;
  }
  if (spec.type === "boolean") {
    if (/^(true|1|yes)$/i.test(raw)) return true;
    if (/^(false|0|no)$/i.test(raw)) return false;
    throw new ConfigError(`${where} must be true or false, got "${raw}"`);
  }
  return raw;
}

export function usage(program: string, specs: Record<string, OptionSpec>): string {
  const lines = [`Usage: ${program} [flags]`, "", "Flags (each can also be set by the environment variable shown):"];
  for (const spec of Object.values(specs)) {
    const shown = spec.default === "" ? '""' : String(spec.default);
    lines.push(`  --${spec.flag} (${spec.type}, $${spec.env}, default ${shown})`, `      ${spec.description}`);
  }
  return lines.join("\n");
}

export function parseRuntimeConfig(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): RuntimeConfig & { help: boolean } {
  return checkRuntimeConfig(parseOptions(runtimeOptions, argv, env));
}

/** Checks what the option types alone cannot. */
export function checkRuntimeConfig<T extends Values<typeof runtimeOptions> & { help: boolean }>(
  values: T,
): T & RuntimeConfig {
  if (!(logLevels as readonly string[]).includes(values.logLevel)) {
    throw new ConfigError(`--log-level must be one of ${logLevels.join(", ")}, got "${values.logLevel}"`);
  }
  if (values.port > 65535 || !Number.isInteger(values.port)) {
    throw new ConfigError(`--port must be an integer port, got ${values.port}`);
  }
  if (values.concurrency < 1 || !Number.isInteger(values.concurrency)) {
    throw new ConfigError(`--concurrency must be a whole number >= 1, got ${values.concurrency}`);
  }
  if (values.kubeApiConnections < 1 || !Number.isInteger(values.kubeApiConnections)) {
    throw new ConfigError(`--kube-api-connections must be a whole number >= 1, got ${values.kubeApiConnections}`);
  }
  if (!(apiAuthModes as readonly string[]).includes(values.apiAuth)) {
    throw new ConfigError(`--api-auth must be one of ${apiAuthModes.join(", ")}, got "${values.apiAuth}"`);
  }
  if (!Number.isInteger(values.maxMessageBytes) || values.maxMessageBytes < 1 || values.maxMessageBytes > 0xffffffff) {
    throw new ConfigError(
      `--max-message-bytes must be a whole number from 1 to ${0xffffffff}, got ${values.maxMessageBytes}`,
    );
  }
  if (!Number.isInteger(values.maxHeaderBytes) || values.maxHeaderBytes < 1024) {
    throw new ConfigError(`--max-header-bytes must be a whole number >= 1024, got ${values.maxHeaderBytes}`);
  }
  if (!Number.isInteger(values.maxConcurrentStreams) || values.maxConcurrentStreams < 1) {
    throw new ConfigError(`--max-concurrent-streams must be a whole number >= 1, got ${values.maxConcurrentStreams}`);
  }
  if (Boolean(values.tlsCertFile) !== Boolean(values.tlsPrivateKeyFile)) {
    throw new ConfigError("--tls-cert-file and --tls-private-key-file go together: give both or neither");
  }
  return values as T & RuntimeConfig;
}

export const namespaceList = (namespaces: string): string[] | "all" => {
  const list = namespaces.split(",").map((ns) => ns.trim()).filter(Boolean);
  return list.length ? list : "all";
};

/** True when a cluster is named (--kubeconfig, $KUBECONFIG) or can be found (in a pod, ~/.kube/config). */
export function clusterNamed(argv: readonly string[], env: Record<string, string | undefined>, home: string): boolean {
  return (
    argv.some((arg) => arg.startsWith("--kubeconfig")) || defaultKubeconfigFound(env, home)
  );
}
