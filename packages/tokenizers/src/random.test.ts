import { hashSeed, Rng } from './random.js';

test('a seed gives the same stream every time, another seed another stream', () => {
  const a = new Rng(7);
  const b = new Rng(7);
  const xs = Array.from({ length: 5 }, () => a.next());
  expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
  expect(new Rng(8).next()).not.toBe(xs[0]);
  for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
});

test('the state saves and restores the stream position exactly', () => {
  const r = new Rng(1);
  r.next();
  const saved = r.state;
  const ahead = [r.nextUint32(), r.nextUint32()];
  expect([Rng.fromState(saved).nextUint32(), Rng.fromState(saved).nextUint32()][0]).toBe(ahead[0]);
  r.state = saved;
  expect([r.nextUint32(), r.nextUint32()]).toEqual(ahead);
});

test('nextUint32 is mulberry32: the values of the C reference implementation', () => {
  // Tommy Ettinger's mulberry32 in C (uint32_t arithmetic), compiled with gcc: states 0 and 123456789.
  const r = Rng.fromState(0);
  expect([r.nextUint32(), r.nextUint32()]).toEqual([1144304738, 1416247]);
  const q = Rng.fromState(123456789);
  expect([q.nextUint32(), q.nextUint32()]).toEqual([1107202814, 4169434471]);
});

test('permutation and shuffle are permutations; hashSeed depends on every part', () => {
  const p = new Rng(3).permutation(50);
  expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  const s = new Rng(3).shuffle(Array.from({ length: 50 }, (_, i) => i));
  expect(s).toEqual([...p]);
  expect(hashSeed(1, 2)).not.toBe(hashSeed(2, 1));
  expect(hashSeed(1, 2)).toBe(hashSeed(1, 2));
  expect(() => new Rng(NaN)).toThrow(/finite seed/);
});

/** Standard normal CDF, Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z < 0 ? (1 - erf) / 2 : (1 + erf) / 2;
}

test('addNormal draws standard normals: Kolmogorov-Smirnov distance, moments and both tails of N(0, 1)', () => {
  const n = 200_000;
  const z = new Rng(11).addNormal(new Float64Array(n));
  const sorted = Float64Array.from(z).sort();
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = normalCdf(sorted[i]);
    d = Math.max(d, Math.abs(f - i / n), Math.abs(f - (i + 1) / n));
  }
  // 1.63 / sqrt(n) is the 1 % critical value: a wrong strip table or a biased abscissa lands far above it.
  expect(d).toBeLessThan(1.63 / Math.sqrt(n));
  const moment = (k: number) => z.reduce((s, v) => s + v ** k, 0) / n;
  expect(Math.abs(moment(1))).toBeLessThan(0.01);
  expect(moment(2)).toBeCloseTo(1, 1);
  expect(Math.abs(moment(3))).toBeLessThan(0.03);
  expect(moment(4)).toBeGreaterThan(2.9);
  expect(moment(4)).toBeLessThan(3.1);
  // Tails past R = 3.44 come from the tail sampler: P(|z| > 3.5) = 4.65e-4 (93 of 200 000, sd ~10), symmetric.
  const above = z.filter((v) => v > 3.5).length;
  const below = z.filter((v) => v < -3.5).length;
  expect(above + below).toBeGreaterThan(60);
  expect(above + below).toBeLessThan(130);
  expect(Math.min(above, below)).toBeGreaterThan(20);
  // Adds (not overwrites), scales by std, and leaves the stream where a resumed run continues it.
  const r = new Rng(4);
  const base = Float32Array.from({ length: 1000 }, (_, i) => i);
  const noisy = r.addNormal(base.slice(), 1e-3);
  expect(noisy.every((v, i) => Math.abs(v - i) < 0.01)).toBe(true);
  expect(noisy.some((v, i) => v !== i)).toBe(true);
  const again = Rng.fromState(new Rng(4).state);
  expect(Array.from(again.addNormal(base.slice(), 1e-3))).toEqual(Array.from(noisy));
  expect(again.state).toBe(r.state);
});
