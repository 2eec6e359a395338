// Finds the controller definitions a module exports: any export that is a definition, or an
// array of them (a module may export `controllers = [a, b]`).
import { pathToFileURL } from "node:url";
import type { ControllerDefinition } from "../controller.ts";

const isDefinition = (value: unknown): value is ControllerDefinition<any> =>
  typeof value === "object" && value !== null && typeof (value as ControllerDefinition).name === "string" &&
  typeof (value as ControllerDefinition).sync === "function" &&
  typeof (value as ControllerDefinition).parent === "object";

/**
 * Imports each module (a path relative to `cwd`) and returns every controller definition they
 * export, by name (a later module's controller replaces an earlier one of the same name).
 *
 * @throws Error naming the module when one exports no controller definition.
 */
export async function loadDefinitions(paths: readonly string[], cwd: string): Promise<ControllerDefinition<any>[]> {
  const found = new Map<string, ControllerDefinition<any>>();
  for (const path of paths) {
    const module = (await import(new URL(path, pathToFileURL(`${cwd}/`)).href)) as Record<string, unknown>;
    const before = found.size;
    for (const value of Object.values(module)) {
      for (const candidate of Array.isArray(value) ? value : [value]) {
        if (isDefinition(candidate)) found.set(candidate.name, candidate);
      }
    }
    if (found.size === before) {
      throw new Error(`${path} exports no controller definition (an object from controller(), or an array of them)`);
    }
  }
  return [...found.values()];
}
