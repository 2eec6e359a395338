// A require() that resolves from @kubernetes/client-node's own folder, for the stand-ins that
// load its dependencies (undici, the proxy agents) on first use. Not from config.js itself:
// ../kubeconfig.ts's resolve hook sends config.js's imports of them to the stand-ins.
import { createRequire } from "node:module";

export const requireFromClientNode = createRequire(
  new URL("./", import.meta.resolve("@kubernetes/client-node/dist/config.js")),
);
