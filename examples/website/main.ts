// node main.ts --help
import { runProgram } from "@kubefn/runtime/run";
import { websiteController } from "./program.ts";

await runProgram(websiteController);
