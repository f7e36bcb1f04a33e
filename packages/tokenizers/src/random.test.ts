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
