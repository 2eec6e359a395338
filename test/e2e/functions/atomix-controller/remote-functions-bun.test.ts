// The partition-group and database kubectl flows with every Atomix function behind HTTP in a
// separate Bun process (Bun from npm running runtime/hook-server/main.ts unchanged), called by
// the controller with --remote-functions.
import { runFlowsWithRemoteFunctions } from "../../../support/remote-flows.ts";

await runFlowsWithRemoteFunctions("bun");
