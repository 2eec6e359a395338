// node main.ts --help
import { runProgram } from "@kubefn/runtime/run";
import { propagationController } from "./program.ts";

await runProgram(propagationController);
