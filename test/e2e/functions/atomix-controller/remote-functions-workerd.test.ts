// The partition-group and database kubectl flows with every Atomix function behind HTTP on
// workerd (the Workers runtime, from npm), bundled and run by runtime/hook-server/workerd.ts,
// called by the controller with --remote-functions.
import { runFlowsWithRemoteFunctions } from "../../../support/remote-flows.ts";

await runFlowsWithRemoteFunctions("workerd");
