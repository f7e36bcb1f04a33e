/**
 * The numbers behind each plot, apart from drawing: training curves from a run's `log.jsonl`, the
 * text x video similarity matrix, and a 2-D t-SNE of [AGG] features (the paper's Figure 2).
 */
import { TSNE } from '@keckelt/tsne';
import { Rng } from '@vatt/tokenizers';
import { similarity, type Matrix } from '../model/encode.js';
import type { LineSeries } from './svg.js';

/** One training step as `pretrain` logs it (a line of `log.jsonl`). */
export interface LoggedStep {
  step: number;
  loss: number;
  lr: number;
  skipped?: boolean;
  metrics?: { lossVa?: number; lossVt?: number };
}

/**
 * Parses `log.jsonl` text into step records, one per step in step order. Event lines (such as
 * `{"event":"resume"}`) are skipped; when a resumed run repeats a step, its last record wins.
 *
 * @example
 * parseTrainingLog('{"step":1,"loss":4.8,"lr":0,"metrics":{"lossVa":4.7,"lossVt":4.9}}\n').length; // 1
 */
export function parseTrainingLog(jsonl: string, source = 'log.jsonl'): LoggedStep[] {
  const byStep = new Map<number, LoggedStep>();
  jsonl.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line);
    } catch (e) {
      throw new Error(`${source}:${i + 1}: expected one JSON object per line (${(e as Error).message})`, { cause: e });
    }
    if (typeof rec.step !== 'number' || typeof rec.loss !== 'number') return;
    byStep.set(rec.step, rec as unknown as LoggedStep);
  });
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

/** Loss curves (loss, lossVa, lossVt) and the learning-rate curve of logged steps; skipped steps are left out. */
export function trainingCurves(steps: readonly LoggedStep[]): { loss: LineSeries[]; lr: LineSeries } {
  const kept = steps.filter((s) => !s.skipped);
  if (!kept.length) throw new Error('trainingCurves: the log has no completed training steps');
  const x = kept.map((s) => s.step);
  const loss: LineSeries[] = [{ name: 'loss', x, y: kept.map((s) => s.loss) }];
  for (const k of ['lossVa', 'lossVt'] as const) {
    if (kept.some((s) => typeof s.metrics?.[k] === 'number')) loss.push({ name: k, x, y: kept.map((s) => s.metrics?.[k] ?? NaN) });
  }
  return { loss, lr: { name: 'lr', x, y: kept.map((s) => s.lr) } };
}

/** Cosine similarities of each text (rows) to each video (columns), row-major [texts.rows, videos.rows]. */
export function textVideoSimilarity(texts: Matrix, videos: Matrix): { rows: number; cols: number; values: Float32Array } {
  return { rows: texts.rows, cols: videos.rows, values: similarity(texts, videos) };
}

/** Settings of `tsne` (and `tsnePlot`). */
export interface TsneOptions {
  /** Effective number of neighbours (default 15; must be < the number of points). */
  perplexity?: number;
  /** Gradient steps (default 500). */
  iterations?: number;
  /** Seed of the initial layout (default 0): the same seed gives the same picture. */
  seed?: number;
}

/**
 * Exact t-SNE (van der Maaten & Hinton 2008, via `@keckelt/tsne`) of the rows of `m` to 2-D,
 * returned as row-major [m.rows, 2].
 *
 * @example
 * const xy = tsne({ data: features, rows: 96, cols: 64 }, { perplexity: 15, seed: 0 }); // Float32Array(192)
 */
export function tsne(m: Matrix, options: TsneOptions = {}): Float32Array {
  const { perplexity = 15, iterations = 500, seed = 0 } = options;
  if (m.rows < 3) throw new Error(`tsne: expected at least 3 points, got ${m.rows}`);
  if (!(perplexity > 0 && perplexity < m.rows)) throw new Error(`tsne: perplexity must be in (0, ${m.rows}) for ${m.rows} points, got ${perplexity}`);
  if (!(Number.isInteger(iterations) && iterations >= 1)) throw new Error(`tsne: iterations must be an integer >= 1, got ${iterations}`);
  const rows = Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  const model = new TSNE({ dim: 2, perplexity, epsilon: 10 });
  const rng = new Rng(seed);
  model.gaussRandom = () => rng.normal(); // seeded initial layout instead of Math.random
  model.initDataRaw(rows);
  for (let i = 0; i < iterations; i++) model.step();
  return Float32Array.from((model.getSolution() as number[][]).flat());
}
