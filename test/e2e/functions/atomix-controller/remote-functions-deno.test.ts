// The partition-group and database kubectl flows with every Atomix function behind HTTP in a
// separate deno process (runtime/hooks), called by the controller with --remote-functions.
import { runFlowsWithRemoteFunctions } from "../../../support/remote-flows.ts";

await runFlowsWithRemoteFunctions("deno");
