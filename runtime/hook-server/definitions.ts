// Finds the controller definitions modules export: any export that is a definition, or an
// array of them (a module may export `controllers = [a, b]`). Web-standard: the modules are
// given already imported, so a bundle (workerd) and a loader (Node, Deno) share it.
import type { ControllerDefinition } from "../controller.ts";

const isDefinition = (value: unknown): value is ControllerDefinition<any> =>
  typeof value === "object" && value !== null && typeof (value as ControllerDefinition).name === "string" &&
  typeof (value as ControllerDefinition).sync === "function" &&
  typeof (value as ControllerDefinition).parent === "object";

/**
 * Every controller definition the modules export, by name (a later module's controller
 * replaces an earlier one of the same name).
 *
 * @param modules each module's path (for messages) and its namespace object.
 * @throws Error naming the module when one exports no controller definition.
 */
export function definitionsOf(
  modules: ReadonlyArray<readonly [path: string, module: Record<string, unknown>]>,
): ControllerDefinition<any>[] {
  const found = new Map<string, ControllerDefinition<any>>();
  for (const [path, module] of modules) {
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
