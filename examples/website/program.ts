// The Website controller as a program: its name (the field manager, the Lease, the
// managed-by label) and what its manager runs. main.ts runs it; manifests.ts installs it.
import { program } from "@kubefn/runtime/run";
import { websites } from "./website.ts";

export const websiteController = program({
  name: "website-controller",
  build: () => ({ controllers: [websites] }),
});
