// uvu's suite, with one fix: uvu swallows an error thrown by a `before` or `after` hook (the
// suite just reports 0 passed with no reason). Here such an error is printed, with its stack,
// before it fails the suite, so a failing setup says what failed.
import { suite as uvuSuite } from "uvu";

type Hook = (state: Record<string, unknown>) => void | Promise<void>;

export function suite(name: string) {
  const test = uvuSuite(name);
  const wrap = (kind: string, register: (hook: Hook) => void) => (hook: Hook) =>
    register(async (state) => {
      try {
        await hook(state);
      } catch (error) {
        console.error(`\n${name}: the ${kind} hook failed:`, error);
        throw error;
      }
    });
  const before = wrap("before", test.before);
  const after = wrap("after", test.after);
  return Object.assign(test, {
    before: Object.assign(before, { each: test.before.each }),
    after: Object.assign(after, { each: test.after.each }),
  });
}
