// Seeded random and mutated request bodies for the API fuzz test: random bytes, and valid
// requests with bits flipped, bytes inserted or dropped, cut short, spliced or extended; for
// the enveloped protocols also broken envelopes (wrong lengths, unknown flags, no message,
// two messages). The same seed gives the same bodies.
import { envelope } from "./rpc-wire.ts";

/** mulberry32: a small seeded generator; returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class BodyMaker {
  readonly #random: () => number;

  constructor(seed: number) {
    this.#random = seededRandom(seed);
  }

  int(below: number): number {
    return Math.floor(this.#random() * below);
  }

  bytes(length: number): Uint8Array {
    return Uint8Array.from({ length }, () => this.int(256));
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** A message-level body: random, or one of `seeds` mutated. */
  message(seeds: readonly Uint8Array[]): { kind: string; data: Uint8Array } {
    const seed = this.pick(seeds);
    const mutations: Array<[string, () => Uint8Array]> = [
      ["random", () => this.bytes(this.int(300))],
      ["bit flips", () => this.#flip(seed, 1 + this.int(4))],
      ["inserted bytes", () => this.#insert(seed)],
      ["dropped bytes", () => this.#drop(seed)],
      ["cut short", () => seed.slice(0, this.int(seed.byteLength + 1))],
      [
        "spliced",
        () =>
          Uint8Array.from([
            ...seed.slice(0, this.int(seed.byteLength + 1)),
            ...this.pick(seeds).slice(this.int(seed.byteLength + 1)),
          ]),
      ],
      ["random tail", () => Uint8Array.from([...seed, ...this.bytes(1 + this.int(40))])],
      ["valid", () => seed],
    ];
    const [kind, make] = this.pick(mutations);
    return { kind, data: make() };
  }

  /** A whole enveloped body: usually one good envelope around `data`, sometimes a broken one. */
  enveloped(data: Uint8Array): { kind: string; body: Uint8Array } {
    const roll = this.int(20);
    if (roll === 0) {
      return { kind: "envelope: length too long", body: envelope(data, 0, data.byteLength + 1 + this.int(100)) };
    }
    if (roll === 1 && data.byteLength > 0) {
      return { kind: "envelope: length too short", body: envelope(data, 0, this.int(data.byteLength)) };
    }
    if (roll === 2) return { kind: "envelope: unknown flags", body: envelope(data, 1 + this.int(255)) };
    if (roll === 3) return { kind: "envelope: none", body: new Uint8Array(0) };
    if (roll === 4) {
      return { kind: "envelope: two messages", body: Uint8Array.from([...envelope(data), ...envelope(data)]) };
    }
    if (roll === 5) return { kind: "envelope: random bytes", body: this.bytes(this.int(64)) };
    return { kind: "envelope", body: envelope(data) };
  }

  /** A JSON body (Connect JSON): the seed's JSON with characters flipped, dropped or repeated. */
  json(seeds: readonly string[]): { kind: string; data: Uint8Array } {
    const text = this.pick(seeds);
    const chars = [...text];
    for (let n = 1 + this.int(3); n > 0; n--) {
      const at = this.int(chars.length + 1);
      const change = this.int(3);
      if (change === 0) chars.splice(at, 1);
      else if (change === 1) {
        chars.splice(
          at,
          0,
          this.pick(['"', "{", "}", "[", "]", ":", ",", "1", "-", "e", "\\", "null", "true", "@type"]),
        );
      } else chars.splice(at, 0, chars[at] ?? "x");
    }
    const kind = this.int(8) === 0 ? "json: valid" : "json: mutated";
    return { kind, data: new TextEncoder().encode(kind === "json: valid" ? text : chars.join("")) };
  }

  #flip(seed: Uint8Array, count: number): Uint8Array {
    const out = seed.slice();
    if (out.byteLength === 0) return this.bytes(1 + this.int(8));
    for (let n = 0; n < count; n++) out[this.int(out.byteLength)]! ^= 1 << this.int(8);
    return out;
  }

  #insert(seed: Uint8Array): Uint8Array {
    const at = this.int(seed.byteLength + 1);
    return Uint8Array.from([...seed.slice(0, at), ...this.bytes(1 + this.int(8)), ...seed.slice(at)]);
  }

  #drop(seed: Uint8Array): Uint8Array {
    const at = this.int(seed.byteLength + 1);
    return Uint8Array.from([...seed.slice(0, at), ...seed.slice(at + 1 + this.int(8))]);
  }
}
