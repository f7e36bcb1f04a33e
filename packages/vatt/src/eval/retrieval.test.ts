import { retrievalMetrics, retrievalRanks } from './retrieval.js';

describe('retrieval metrics (official definitions)', () => {
  test('ranks are 0-based positions of the true item, MedR is median rank + 1', () => {
    // 3 queries x 4 items. Query 0: true item 2 is best (rank 0). Query 1: true item 0 is third (rank 2).
    // Query 2: true item 3 is second (rank 1).
    const sim = [0.1, 0.2, 0.9, 0.3, 0.5, 0.9, 0.1, 0.8, 0.2, 0.1, 0.0, 0.15];
    const ranks = retrievalRanks(sim, 3, 4, [2, 0, 3]);
    expect(Array.from(ranks)).toEqual([0, 2, 1]);
    const m = retrievalMetrics(ranks, 4);
    expect(m.R1).toBeCloseTo(1 / 3);
    expect(m.R5).toBe(1);
    expect(m.MedR).toBe(2);
    expect(m.MeanR).toBe(2);
    expect(m.chance.R1).toBe(0.25);
    expect(m.chance.MedR).toBe(2.5);
  });

  test('ties count against the query, so a constant similarity never beats chance', () => {
    const n = 10;
    const sim = new Float32Array(n * n).fill(1);
    const target = Array.from({ length: n }, (_, i) => i);
    const m = retrievalMetrics(retrievalRanks(sim, n, n, target), n);
    expect(m.R1).toBe(0);
    expect(m.MedR).toBe(n);
  });

  test('the identity similarity retrieves everything at rank 1', () => {
    const n = 5;
    const sim = new Float32Array(n * n);
    for (let i = 0; i < n; i++) sim[i * n + i] = 1;
    const m = retrievalMetrics(retrievalRanks(sim, n, n, [0, 1, 2, 3, 4]), n);
    expect([m.R1, m.R5, m.R10, m.MedR]).toEqual([1, 1, 1, 1]);
  });

  test('bad shapes name the input', () => {
    expect(() => retrievalRanks([1, 2, 3], 2, 2, [0, 1])).toThrow(/similarity has 3 values, expected 2x2/);
    expect(() => retrievalRanks([1, 2, 3, 4], 2, 2, [0, 5])).toThrow(/target\[1\] = 5/);
  });
});
