/** Cosine ranking of embedding rows (browser-safe; used by `vatt search` and the browser demo). */
import { l2NormalizeRows, type Matrix } from '../model/encode.js';

/**
 * Rows of `m` by cosine similarity to `query`, best first; rows where `keep` is false are left out.
 *
 * @example
 * rankByCosine(textVt, index.matrices.video_vt!, { top: 5 }); // [{ row: 12, score: 0.41 }, ...]
 */
export function rankByCosine(
  query: Float32Array,
  m: Matrix,
  opts: { top?: number; keep?: (row: number) => boolean } = {},
): Array<{ row: number; score: number }> {
  if (query.length !== m.cols) throw new Error(`search: query has ${query.length} dimensions, the index ${m.cols}`);
  const q = l2NormalizeRows({ data: query.slice(), rows: 1, cols: query.length }).data;
  const scores: Array<{ row: number; score: number }> = [];
  for (let r = 0; r < m.rows; r++) {
    if (opts.keep && !opts.keep(r)) continue;
    const row = m.data.subarray(r * m.cols, (r + 1) * m.cols);
    let dot = 0;
    let norm = 0;
    for (let c = 0; c < m.cols; c++) {
      dot += q[c] * row[c];
      norm += row[c] * row[c];
    }
    scores.push({ row: r, score: dot / Math.sqrt(Math.max(norm, 1e-12)) });
  }
  scores.sort((a, b) => b.score - a.score || a.row - b.row);
  return scores.slice(0, opts.top ?? scores.length);
}
