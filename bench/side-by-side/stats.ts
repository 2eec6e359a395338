// Numbers for the side-by-side report. Pure.

/** The nearest-rank quantile (q in 0..1) of the values; NaN when there are none. */
export function quantile(values: readonly number[], q: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

export const median = (values: readonly number[]) => quantile(values, 0.5);

/** "0.42×", or "n/a" when either side is missing or zero. */
export function ratio(ours: number | undefined, theirs: number | undefined): string {
  if (
    ours === undefined || theirs === undefined || !Number.isFinite(ours) || !Number.isFinite(theirs) || theirs === 0
  ) return "n/a";
  return `${(ours / theirs).toFixed(2)}×`;
}

/**
 * What a run stopped at its time cap would have taken: the units still missing at the rate
 * of the last part of the run (units done per ms between the two samples), added to the cap.
 * Undefined when nothing progressed between the samples.
 */
export function extrapolate(
  cap: { ms: number; done: number },
  earlier: { ms: number; done: number },
  total: number,
): number | undefined {
  const rate = (cap.done - earlier.done) / (cap.ms - earlier.ms);
  if (!(rate > 0) || !Number.isFinite(rate)) return undefined;
  return cap.ms + (total - cap.done) / rate;
}

/** Seconds with one decimal, for tables. */
export const seconds = (
  ms: number | undefined,
) => (ms === undefined || !Number.isFinite(ms) ? "n/a" : (ms / 1000).toFixed(1));
/** Milliseconds with one decimal, for tables. */
export const millis = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? "n/a" : ms.toFixed(1));
export const mebibytes = (
  bytes: number | undefined,
) => (bytes === undefined || !Number.isFinite(bytes) ? "n/a" : (bytes / 2 ** 20).toFixed(0));

/** Whether a goal holds: "met", "not met", or "n/a" when it could not be measured. */
export function verdict(holds: boolean | undefined): string {
  return holds === undefined ? "n/a" : holds ? "met" : "not met";
}
