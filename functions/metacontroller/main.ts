// Metacontroller's API on this runtime: CompositeControllers and DecoratorControllers
// (metacontroller.k8s.io/v1alpha1) run as controllers whose hooks are webhooks. Runs against
// the kubeconfig it is given; install deploy/metacontroller.yaml first.
//   npm run metacontroller -- --help
import { runProgram } from "../../runtime/run.ts";
import { metacontroller } from "./program.ts";

await runProgram(metacontroller);
