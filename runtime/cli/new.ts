// `kubefn new`: a controller project from the templates beside the package, with the
// project's names filled in. Refuses to write into a directory that holds anything.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { pluralOf } from "../schema/kind.ts";

/** The first of these paths (relative to this file, compiled or not) that exists. */
function packageFile(...candidates: string[]): string {
  for (const candidate of candidates) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error(`the package is incomplete: none of ${candidates.join(", ")} next to ${import.meta.url}`);
}

const pascal = (words: string) =>
  words.split(/[^a-zA-Z0-9]+/).filter(Boolean).map((word) => word[0]!.toUpperCase() + word.slice(1)).join("");

export interface NewOptions {
  /** The custom kind; default: the directory's name without "-controller", in PascalCase. */
  kind?: string | undefined;
  /** The API group; default example.com. */
  group?: string | undefined;
}

/** Writes the project; returns the files written. */
export async function newProject(dir: string, options: NewOptions = {}): Promise<string[]> {
  const name = basename(dir);
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) {
    throw new Error(`"${name}" must be a lowercase DNS label (letters, digits, dashes): it names the program`);
  }
  if (existsSync(dir) && readdirSync(dir).length) throw new Error(`${dir} exists and is not empty`);
  const kind = options.kind ?? (pascal(name.replace(/-controller$/, "")) || "Greeting");
  if (!/^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    throw new Error(`--kind=${kind}: a kind is CamelCase, starting with a capital`);
  }
  const group = options.group ?? "example.com";
  const version = (JSON.parse(readFileSync(packageFile("../../package.json", "../package.json"), "utf8")) as {
    version: string;
  }).version;
  const names: Record<string, string> = {
    __NAME__: name,
    __KIND__: kind,
    __GROUP__: group,
    // The controller's name (a DNS label) and its variable: "greetings".
    __CONTROLLER__: pluralOf(kind.toLowerCase()),
    // The program's variable: "hello-controller" → "helloController".
    __PROGRAM__: `${/^[0-9]/.test(name) ? "p" : ""}${name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())}`,
    __VERSION__: version,
  };
  const templates = packageFile("../../templates/project", "../templates/project");
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const template of readdirSync(templates).sort()) {
    const file = template === "gitignore.txt" ? ".gitignore" : template.replace(/\.txt$/, "");
    const text = readFileSync(join(templates, template), "utf8").replace(
      /__[A-Z]+__/g,
      (placeholder) => names[placeholder] ?? placeholder,
    );
    writeFileSync(join(dir, file), text);
    written.push(file);
  }
  return written;
}
