// Metacontroller's strict answers (a hook's `responseUnMarshallMode: strict`, the default of
// version v2): an answer may not have a field the runtime does not read, nor a key twice in one
// JSON object, which JSON.parse would silently resolve to the last. Pure.
import type { RemoteHook } from "../controller.ts";

/** Whether a hook's answers are read strictly: as it says, else for version v2 only. */
export const strictAnswers = (hook: RemoteHook): boolean => hook.strict ?? hook.version === "v2";

/** The fields of `answer` that are not in `known`, in order. */
export function unknownFields(answer: Record<string, unknown>, known: readonly string[]): string[] {
  return Object.keys(answer).filter((field) => !known.includes(field));
}

/**
 * The first key that appears twice in one object of a JSON text, with where that object is
 * (e.g. `status.ready`, `children[2].metadata.name`); undefined when there is none. The text must
 * be valid JSON (JSON.parse it first): this only walks its structure.
 */
export function repeatedKey(text: string): string | undefined {
  /** For each open object its keys so far, for each open array its next index; and the path to it. */
  const open: Array<{ keys: Set<string> | undefined; index: number; path: string }> = [];
  let path = "";
  let expectingKey = false;
  const where = (key: string) => (path ? `${path}.${key}` : key);
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === 0x22) {
      // A string: find its end, skipping escaped characters.
      let end = i + 1;
      while (text.charCodeAt(end) !== 0x22) end += text.charCodeAt(end) === 0x5c ? 2 : 1;
      const top = open.at(-1);
      if (expectingKey && top?.keys) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys.has(key)) return where(key);
        top.keys.add(key);
        path = where(key);
        expectingKey = false;
      }
      i = end;
    } else if (char === 0x7b || char === 0x5b) {
      // { or [: the value of the current key (or array element) opens.
      open.push({ keys: char === 0x7b ? new Set() : undefined, index: 0, path });
      if (char === 0x5b) path = `${path}[0]`;
      expectingKey = char === 0x7b;
    } else if (char === 0x7d || char === 0x5d) {
      // } or ]: back to the container that holds it.
      path = open.pop()!.path;
      const top = open.at(-1);
      if (top && !top.keys) path = `${top.path}[${top.index}]`;
      else if (top) path = top.path;
      // The key of the closed value stays in the path until the next key replaces it.
    } else if (char === 0x2c) {
      // ,: the next key of an object, or the next element of an array.
      const top = open.at(-1);
      if (top?.keys) {
        expectingKey = true;
        path = top.path;
      } else if (top) {
        top.index++;
        path = `${top.path}[${top.index}]`;
      }
    }
  }
  return undefined;
}
