/**
 * The project's one seeded random stream: mulberry32 (a 32-bit state, 2^32 period) with a seed mixer.
 * Every stochastic choice draws from it: weight initialisation, dropout and DropToken
 * (`@vatt/transformer`'s global stream), augmentation, clip windows and the embedded dataset
 * (`@vatt/data`), and the data order of training runs (`vatt`). It lives here, at the root of the package
 * graph, so that every package can import it. The state is one uint32, so a checkpoint can save it and a
 * resumed run draws exactly what the uninterrupted run would have drawn.
 *
 * @example
 * const rng = new Rng(42);
 * rng.uniform(0.8, 1.2); // the same number on every run
 * const again = Rng.fromState(rng.state); // continues the same stream
 */

/** Mixes integers (a seed, an epoch, an index...) into one 32-bit seed; every derived seed in the project comes from here. */
export function hashSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    let x = Math.floor(part) >>> 0;
    x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
    x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
    h = Math.imul(h ^ (x ^ (x >>> 16)), 0x01000193) >>> 0;
  }
  return h;
}

/** A seeded stream of random numbers (see the file comment). */
export class Rng {
  /** The stream position: restore it with `Rng.fromState` or by assigning it. */
  state: number;

  /** A stream seeded with `hashSeed(seed)`. */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: expected a finite seed, got ${seed}`);
    this.state = hashSeed(seed);
  }

  /** The stream continuing from a saved `state`. */
  static fromState(state: number): Rng {
    const r = new Rng(0);
    r.state = state >>> 0;
    return r;
  }

  /** Next 32-bit unsigned value (mulberry32). */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform float in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const p = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
