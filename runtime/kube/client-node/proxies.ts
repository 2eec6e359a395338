// Stands in for socks-proxy-agent, socks and hpagent inside @kubernetes/client-node's config
// module (see ../kubeconfig.ts). They make the agents for a cluster with a proxy-url, and were
// loaded in every process, with a proxy or without: about 15 MiB of resident memory on their
// own, 2 MiB in a controller that loads node:https anyway. Each stand-in loads its package
// synchronously the first time a cluster with a proxy needs it.
import { requireFromClientNode as require } from "./require.ts";

type Socks = typeof import("socks");
type SocksAgent = typeof import("socks-proxy-agent");
type HpAgent = typeof import("hpagent");

// Each is required by its literal name, which `deno publish` can follow.
let socks: Socks | undefined;
let socksAgent: SocksAgent | undefined;
let hpAgent: HpAgent | undefined;

export class SocksProxyAgent {
  constructor(...args: ConstructorParameters<SocksAgent["SocksProxyAgent"]>) {
    return new ((socksAgent ??= require("socks-proxy-agent") as SocksAgent).SocksProxyAgent)(
      ...args,
    ) as unknown as SocksProxyAgent;
  }
}

export class HttpProxyAgent {
  constructor(...args: ConstructorParameters<HpAgent["HttpProxyAgent"]>) {
    return new ((hpAgent ??= require("hpagent") as HpAgent).HttpProxyAgent)(...args) as unknown as HttpProxyAgent;
  }
}

export class HttpsProxyAgent {
  constructor(...args: ConstructorParameters<HpAgent["HttpsProxyAgent"]>) {
    return new ((hpAgent ??= require("hpagent") as HpAgent).HttpsProxyAgent)(...args) as unknown as HttpsProxyAgent;
  }
}

/** client-node calls only the static createConnection (SOCKS connections for undici dispatchers). */
export class SocksClient {
  static createConnection(...args: Parameters<Socks["SocksClient"]["createConnection"]>) {
    return (socks ??= require("socks") as Socks).SocksClient.createConnection(...args);
  }
}
