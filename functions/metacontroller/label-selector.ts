// Kubernetes' label-selector text, as `kubectl get -l` and upstream Metacontroller's
// --target-label-selector take it ("team=a,tier in (gold,silver),!legacy"), read into the
// structured form a resource's labelSelector has (matchExpressions), which labelsSelected() in
// translate.ts matches. Pure: what the text cannot mean is a LabelSelectorSyntaxError.
import type { LabelSelector } from "./types.ts";

/** Selector text that is not Kubernetes' label-selector syntax; the message says where and why. */
export class LabelSelectorSyntaxError extends Error {}

type Requirement = NonNullable<LabelSelector["matchExpressions"]>[number];

/** The characters that end a word: whitespace and the syntax's own symbols. */
const symbols = new Set(["=", "!", "(", ")", ",", "<", ">"]);
const namePart = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

type Token = { kind: "word" | "symbol" | "end"; text: string };

/** Words and symbols ("!=" and "==" are one symbol each), blanks dropped. */
function tokens(text: string): Token[] {
  const found: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (/\s/.test(char)) {
      i++;
    } else if (symbols.has(char)) {
      const pair = text.slice(i, i + 2);
      const double = pair === "!=" || pair === "==";
      found.push({ kind: "symbol", text: double ? pair : char });
      i += double ? 2 : 1;
    } else {
      let end = i;
      while (end < text.length && !symbols.has(text[end]!) && !/\s/.test(text[end]!)) end++;
      found.push({ kind: "word", text: text.slice(i, end) });
      i = end;
    }
  }
  found.push({ kind: "end", text: "" });
  return found;
}

/** A label key: an optional DNS subdomain prefix and "/", then a name of at most 63 characters. */
function checkKey(key: string): string {
  const slash = key.indexOf("/");
  const [prefix, name] = slash < 0 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
  const prefixOk = prefix === undefined || (prefix.length <= 253 && dnsSubdomain.test(prefix));
  if (!prefixOk || name.length > 63 || !namePart.test(name)) {
    throw new LabelSelectorSyntaxError(
      `"${key}" is not a label key (an optional DNS prefix and "/", then at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit)`,
    );
  }
  return key;
}

/** A label value: empty, or at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit. */
function checkValue(value: string): string {
  if (value !== "" && (value.length > 63 || !namePart.test(value))) {
    throw new LabelSelectorSyntaxError(
      `"${value}" is not a label value (at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit)`,
    );
  }
  return value;
}

const shown = (token: Token) => (token.kind === "end" ? "the end" : `"${token.text}"`);

/**
 * Reads label-selector text: requirements separated by commas, all of which must hold —
 * `key=value` (or `==`), `key!=value` (also true when the label is missing), `key in (a,b)`,
 * `key notin (a,b)` (also true when missing), `key` (the label exists) and `!key` (it does
 * not). Blank text selects everything. The set-based `<` and `>` (numeric comparisons) are not
 * read: a resource's labelSelector has no such operator either.
 *
 * @returns the selector as matchExpressions (In, NotIn, Exists, DoesNotExist), in the text's order.
 * @throws LabelSelectorSyntaxError naming what is wrong.
 */
export function parseLabelSelector(text: string): LabelSelector {
  const list = tokens(text);
  let at = 0;
  const next = () => list[at++]!;
  const peek = () => list[at]!;
  const expected = (what: string, token: Token): never => {
    throw new LabelSelectorSyntaxError(`expected ${what}, found ${shown(token)}`);
  };
  /** In a value's place "in" and "notin" are just words. */
  const value = (): string => {
    const token = peek();
    if (token.kind === "word") return checkValue(next().text);
    return ""; // `key=` and `(a,)`: the empty value
  };
  const values = (): string[] => {
    const open = next();
    if (open.text !== "(") expected('"(" after in or notin', open);
    const found = new Set<string>();
    for (;;) {
      found.add(value());
      const token = next();
      if (token.text === ")") break;
      if (token.text !== ",") expected('"," or ")" in a list of values', token);
    }
    return [...found];
  };
  const requirement = (): Requirement => {
    const first = next();
    if (first.text === "!") {
      const key = next();
      if (key.kind !== "word") expected("a label key after !", key);
      return { key: checkKey(key.text), operator: "DoesNotExist" };
    }
    if (first.kind !== "word" || first.text === "in" || first.text === "notin") expected("a label key or !", first);
    const key = checkKey(first.text);
    const operator = peek();
    if (operator.kind === "end" || operator.text === ",") return { key, operator: "Exists" };
    next();
    switch (operator.text) {
      case "=":
      case "==":
        return { key, operator: "In", values: [value()] };
      case "!=":
        return { key, operator: "NotIn", values: [value()] };
      case "in":
        return { key, operator: "In", values: values() };
      case "notin":
        return { key, operator: "NotIn", values: values() };
      case "<":
      case ">":
        throw new LabelSelectorSyntaxError(
          `the numeric comparison "${key} ${operator.text} ..." is not supported; use =, ==, !=, in, notin, exists or !`,
        );
      default:
        return expected(`=, ==, !=, in or notin after "${key}"`, operator);
    }
  };

  const matchExpressions: Requirement[] = [];
  if (peek().kind === "end") return { matchExpressions };
  for (;;) {
    matchExpressions.push(requirement());
    const separator = next();
    if (separator.kind === "end") break;
    if (separator.text !== ",") expected('"," between requirements', separator);
    if (peek().kind === "end") expected("a requirement after the last comma", peek());
  }
  return { matchExpressions };
}

/**
 * The selector written back as text in one canonical way: requirements sorted, each set's values
 * sorted. Two selectors that mean the same (requirements in another order, spacing, `==` or `=`)
 * read back the same.
 */
export function formatLabelSelector(selector: LabelSelector): string {
  const requirements = [
    ...Object.entries(selector.matchLabels ?? {}).map(([key, value]) => ({
      key,
      operator: "In" as const,
      values: [value],
    })),
    ...(selector.matchExpressions ?? []),
  ];
  return requirements.map(({ key, operator, values = [] }) => {
    const sorted = [...new Set(values)].sort();
    switch (operator) {
      case "Exists":
        return key;
      case "DoesNotExist":
        return `!${key}`;
      case "In":
        return sorted.length === 1 ? `${key}=${sorted[0]}` : `${key} in (${sorted.join(",")})`;
      case "NotIn":
        return sorted.length === 1 ? `${key}!=${sorted[0]}` : `${key} notin (${sorted.join(",")})`;
    }
  }).sort().join(",");
}
