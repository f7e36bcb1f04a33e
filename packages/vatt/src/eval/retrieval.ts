/**
 * Retrieval metrics exactly as the official `compute_retrieval_metrics` (docs/numerics.md §8.4):
 * for each query i, r_i = 0-based position of its true item in the similarity-sorted list;
 * R@K = fraction with r_i < K; MedR = median(r_i) + 1; MeanR = mean(r_i) + 1.
 */
export interface RetrievalMetrics {
  R1: number;
  R5: number;
  R10: number;
  MedR: number;
  MeanR: number;
  /** Number of queries. */
  n: number;
  /** Expected R@1/R@5/R@10 and MedR of a random ranking over the same gallery. */
  chance: { R1: number; R5: number; R10: number; MedR: number };
}

/**
 * Ranks for a [numQueries, numItems] similarity matrix (row-major). `target[i]` is the index of the item
 * that query i should retrieve. Ties count against the query (an equal-scoring wrong item ranks first),
 * so a constant similarity matrix scores like chance or worse, never better.
 */
export function retrievalRanks(sim: ArrayLike<number>, numQueries: number, numItems: number, target: ArrayLike<number>): Int32Array {
  if (sim.length !== numQueries * numItems) throw new Error(`retrieval: similarity has ${sim.length} values, expected ${numQueries}x${numItems}`);
  if (target.length !== numQueries) throw new Error(`retrieval: target has ${target.length} entries, expected ${numQueries}`);
  const ranks = new Int32Array(numQueries);
  for (let i = 0; i < numQueries; i++) {
    const t = target[i];
    if (!(t >= 0 && t < numItems)) throw new Error(`retrieval: target[${i}] = ${t} is outside 0..${numItems - 1}`);
    const s = sim[i * numItems + t];
    let r = 0;
    for (let j = 0; j < numItems; j++) {
      if (j === t) continue;
      const v = sim[i * numItems + j];
      if (v > s || v === s || Number.isNaN(v)) r++;
    }
    ranks[i] = r;
  }
  return ranks;
}

function median(sorted: Int32Array): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/** R@1/5/10, MedR, MeanR and their chance levels from ranks over a gallery of `numItems`. */
export function retrievalMetrics(ranks: Int32Array, numItems: number): RetrievalMetrics {
  const n = ranks.length;
  if (n === 0) throw new Error('retrieval: no queries');
  const at = (k: number) => ranks.reduce((c, r) => c + (r < k ? 1 : 0), 0) / n;
  const sorted = Int32Array.from(ranks).sort();
  const mean = ranks.reduce((a, b) => a + b, 0) / n;
  const ch = (k: number) => Math.min(1, k / numItems);
  return {
    R1: at(1),
    R5: at(5),
    R10: at(10),
    MedR: median(sorted) + 1,
    MeanR: mean + 1,
    n,
    chance: { R1: ch(1), R5: ch(5), R10: ch(10), MedR: (numItems + 1) / 2 },
  };
}
