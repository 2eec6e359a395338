// Records every file a Node child process loads: a module hook, given to the child with
// `--import`, appends each file URL to a list that loaded() reads back, relative to the project.
import { readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(import.meta.dirname, "..", "..");

export interface LoadRecorder {
  /** The arguments that give a Node child process the recorder: `--import <hook>`. */
  nodeArgs: string[];
  /** The files the child has loaded so far, once each, relative to the project. */
  loaded(): string[];
}

/** Writes a recorder (its hook and its list, named `name`) into `dir`, which the caller removes. */
export function loadRecorder(dir: string, name: string): LoadRecorder {
  const record = join(dir, `${name}.loaded`);
  const hook = join(dir, `${name}.mjs`);
  writeFileSync(record, "");
  writeFileSync(
    hook,
    `import { registerHooks } from "node:module";
import { appendFileSync } from "node:fs";
registerHooks({ load(url, context, next) { if (url.startsWith("file:")) appendFileSync(${
      JSON.stringify(record)
    }, url + "\\n"); return next(url, context); } });
`,
  );
  return {
    nodeArgs: ["--import", pathToFileURL(hook).href],
    loaded: () =>
      [...new Set(readFileSync(record, "utf8").split("\n").filter(Boolean))].map((url) =>
        relative(root, fileURLToPath(url))
      ),
  };
}
