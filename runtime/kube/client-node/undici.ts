// Stands in for undici inside @kubernetes/client-node's config module (see ../kubeconfig.ts):
// the runtime's own requests go over node:https (../transport.ts), and only a program that
// asks a KubeConfig for an undici dispatcher itself (applySecurityAuthentication) needs undici,
// which costs about 28 MiB to load. The first such call loads it synchronously and uses it.
import { createRequire } from "node:module";

type Undici = typeof import("undici");
let real: Undici | undefined;
// Resolved from client-node's own folder, as undici is its dependency (from its folder, not
// from config.js itself, whose imports ../kubeconfig.ts sends here).
const undici =
  (): Undici => (real ??= createRequire(new URL("./", import.meta.resolve("@kubernetes/client-node/dist/config.js")))(
    "undici",
  ) as Undici);

export class Agent {
  constructor(...args: ConstructorParameters<Undici["Agent"]>) {
    return new (undici().Agent)(...args) as unknown as Agent;
  }
}

export class ProxyAgent {
  constructor(...args: ConstructorParameters<Undici["ProxyAgent"]>) {
    return new (undici().ProxyAgent)(...args) as unknown as ProxyAgent;
  }
}
