// Stands in for undici inside @kubernetes/client-node's config module (see ../kubeconfig.ts):
// the runtime's own requests go over node:https (../transport.ts), and only a program that
// asks a KubeConfig for an undici dispatcher itself (applySecurityAuthentication) needs undici,
// which costs about 28 MiB to load. The first such call loads it synchronously and uses it.
import { requireFromClientNode } from "./require.ts";

type Undici = typeof import("undici");
let real: Undici | undefined;
const undici = (): Undici => (real ??= requireFromClientNode("undici") as Undici);

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
