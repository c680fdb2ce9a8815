/** The seeded generator every random choice comes from: one per request, seeded by (seed, request fingerprint). */
import { customRandom } from "nanoid";
import seedrandom from "seedrandom";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** An id of `size` alphanumeric characters. */
  id(size: number): string;
}

export function makeRng(seed: string | number, fingerprint: string): Rng {
  // Alea: seeded from a string in a quarter of the time of seedrandom's default ARC4, and this
  // runs for every request.
  const prng = seedrandom.alea(`${seed}/${fingerprint}`);
  const bytes = (count: number) => {
    const out = new Uint8Array(count);
    for (let i = 0; i < count; i++) out[i] = Math.floor(prng() * 256);
    return out;
  };
  const ids = new Map<number, () => string>();
  return {
    next: () => prng(),
    int: (min, max) => min + Math.floor(prng() * (max - min + 1)),
    id(size) {
      let make = ids.get(size);
      if (!make) {
        make = customRandom(ALPHABET, size, bytes);
        ids.set(size, make);
      }
      return make();
    },
  };
}
