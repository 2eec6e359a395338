// Stands in for socks-proxy-agent, socks and hpagent inside @kubernetes/client-node's config
// module (see ../kubeconfig.ts). They make the agents for a cluster with a proxy-url, and cost
// about 15 MiB of resident memory to load, in every process, with a proxy or without. Each
// stand-in loads its package synchronously the first time a cluster with a proxy needs it.
import { createRequire } from "node:module";

type Socks = typeof import("socks");
type SocksAgent = typeof import("socks-proxy-agent");
type HpAgent = typeof import("hpagent");

// Resolved from client-node's own folder, as they are its dependencies (from its folder, not
// from config.js itself, whose imports ../kubeconfig.ts sends here).
const require = createRequire(new URL("./", import.meta.resolve("@kubernetes/client-node/dist/config.js")));
const loaded = new Map<string, unknown>();
const load = <T>(name: string): T => {
  if (!loaded.has(name)) loaded.set(name, require(name));
  return loaded.get(name) as T;
};

export class SocksProxyAgent {
  constructor(...args: ConstructorParameters<SocksAgent["SocksProxyAgent"]>) {
    return new (load<SocksAgent>("socks-proxy-agent").SocksProxyAgent)(...args) as unknown as SocksProxyAgent;
  }
}

export class HttpProxyAgent {
  constructor(...args: ConstructorParameters<HpAgent["HttpProxyAgent"]>) {
    return new (load<HpAgent>("hpagent").HttpProxyAgent)(...args) as unknown as HttpProxyAgent;
  }
}

export class HttpsProxyAgent {
  constructor(...args: ConstructorParameters<HpAgent["HttpsProxyAgent"]>) {
    return new (load<HpAgent>("hpagent").HttpsProxyAgent)(...args) as unknown as HttpsProxyAgent;
  }
}

/** client-node calls only the static createConnection (SOCKS connections for undici dispatchers). */
export class SocksClient {
  static createConnection(...args: Parameters<Socks["SocksClient"]["createConnection"]>) {
    return load<Socks>("socks").SocksClient.createConnection(...args);
  }
}
