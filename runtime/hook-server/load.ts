// Imports modules by path and finds the controller definitions they export (definitions.ts).
import { pathToFileURL } from "node:url";
import type { ControllerDefinition } from "../controller.ts";
import { definitionsOf } from "./definitions.ts";

/**
 * Imports each module (a path relative to `cwd`) and returns every controller definition they
 * export, by name (a later module's controller replaces an earlier one of the same name).
 *
 * @throws Error naming the module when one exports no controller definition.
 */
export async function loadDefinitions(paths: readonly string[], cwd: string): Promise<ControllerDefinition<any>[]> {
  const modules: Array<[string, Record<string, unknown>]> = [];
  for (const path of paths) {
    modules.push([path, (await import(new URL(path, pathToFileURL(`${cwd}/`)).href)) as Record<string, unknown>]);
  }
  return definitionsOf(modules);
}
