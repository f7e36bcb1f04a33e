/** A seeded permutation of 0..n-1 (mulberry32 + Fisher-Yates): data order as a pure function of its seed. */
export function seededPermutation(n: number, seed: number): Int32Array {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** The permutation of epoch `epoch` for a run seeded with `seed`. */
export function epochOrder(n: number, seed: number, epoch: number): Int32Array {
  return seededPermutation(n, (seed * 100003 + epoch * 7919 + 17) >>> 0);
}
