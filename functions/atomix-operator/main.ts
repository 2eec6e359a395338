// The Atomix operator. Runs against the kubeconfig it is given (--kubeconfig, $KUBECONFIG,
// the in-cluster service account, ~/.kube/config).
//   npm run operator -- --help
import { runProgram } from "../../runtime/run.ts";
import { atomixOperator } from "./program.ts";

await runProgram(atomixOperator);
