// The main job. For now it starts the local control plane and keeps it running until
// Ctrl-C; the controller joins it once the runtime lands.
import { runClusterUntilSignalled } from "./test/cluster/main.ts";

runClusterUntilSignalled().catch((error: Error) => {
  console.error(`[main] ${error.message}`);
  process.exit(1);
});
