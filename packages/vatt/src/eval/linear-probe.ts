/**
 * Linear probes on frozen [AGG] features (docs/numerics.md §8.5).
 *
 * - `low-rank` (default): the paper's factorised classifier C = U.V, U: d -> 128 (linear), dropout 0.9
 *   on the 128 components in training (the paper's "keep 10% of the components"), V: 128 -> C, softmax
 *   cross-entropy, Adam 5e-4, batch 64. The official code also puts an L2 penalty 0.1 on the last
 *   layer's kernel (`l2: 0.1`); it is off by default here (the paper does not mention it).
 * - `logistic`: a plain multinomial logistic regression d -> C (same optimiser and loss).
 *
 * Test examples may hold several clips (`groups`): their softmax probabilities are averaged (the
 * official 4-clip evaluation). Deterministic for a seed (init, dropout masks and batch order all come
 * from the seeded stream of `@vatt/transformer`).
 *
 * @example
 * const feats = await encodeVideo(model, pre, trainClips);           // [AGG] features
 * const r = await linearProbe({ features: feats.features, labels }, { features: testFeats, labels: testLabels, groups: [4, 4, ...] }, numClasses);
 * console.log(r.metrics.top1);
 */
import * as tf from '@tensorflow/tfjs-core';
import { Dense, Dropout, Module, random } from '@vatt/transformer';
import type { Matrix } from '../model/encode.js';
import { Trainer } from '../train/trainer.js';
import { classificationMetrics, type ClassificationMetrics } from './metrics.js';

export type ProbeHead = 'low-rank' | 'logistic';

export interface LinearProbeOptions {
  /** Classifier kind (default 'low-rank'). */
  head?: ProbeHead;
  /** Components of the low-rank factorisation (default 128). */
  rank?: number;
  /** Dropout on the components in training (default 0.9: 10% kept). */
  dropout?: number;
  /** L2 weight on the last layer's kernel (default 0; the official code uses 0.1). */
  l2?: number;
  /** Adam learning rate (default 5e-4). */
  lr?: number;
  /** Batch size (default 64, or the training set size when smaller). */
  batchSize?: number;
  /** Training epochs over the training rows (default 100; the official code runs 1000). */
  epochs?: number;
  /** Seed of init, dropout and batch order (default 1, as the official code). */
  seed?: number;
  /** Called after every optimisation step. */
  onStep?: (step: number, loss: number) => void;
}

/** Features with one label per row; `groups` (test sets) = consecutive rows that form one example. */
export interface LabelledFeatures {
  features: Matrix;
  /** Class index per row (training) or per example (when `groups` is given). */
  labels: ArrayLike<number>;
  /** Rows per example (e.g. 4 clips); default one row per example. */
  groups?: readonly number[];
}

/** The probe classifier: `low-rank` d -> k -> C with dropout on the k components, or `logistic` d -> C. */
export class LinearProbeClassifier extends Module {
  readonly lowRank?: Dense;
  readonly componentDropout?: Dropout;
  readonly logits: Dense;

  constructor(
    readonly featureDim: number,
    readonly numClasses: number,
    readonly options: { head?: ProbeHead; rank?: number; dropout?: number } = {},
  ) {
    super('linear_probe');
    const head = options.head ?? 'low-rank';
    if (head !== 'low-rank' && head !== 'logistic') throw new Error(`LinearProbeClassifier: head must be "low-rank" or "logistic", got "${head as string}"`);
    if (!(Number.isInteger(numClasses) && numClasses >= 2)) throw new Error(`LinearProbeClassifier: numClasses must be an integer >= 2, got ${numClasses}`);
    if (head === 'low-rank') {
      const k = options.rank ?? 128;
      this.lowRank = this.child(new Dense('low_rank', featureDim, k));
      this.componentDropout = this.child(new Dropout(options.dropout ?? 0.9, 'component_dropout'));
      this.logits = this.child(new Dense('logits', k, numClasses));
    } else {
      this.logits = this.child(new Dense('logits', featureDim, numClasses));
    }
  }

  /** Features [B, d] -> class logits [B, C]. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      let h: tf.Tensor = x;
      if (this.lowRank && this.componentDropout) h = this.componentDropout.apply(this.lowRank.apply(h));
      return this.logits.apply(h) as tf.Tensor2D;
    });
  }
}

function checkFeatures(d: LabelledFeatures, numClasses: number, what: string): void {
  const n = d.groups ? d.groups.length : d.features.rows;
  if (d.labels.length !== n) throw new Error(`${what}: ${d.labels.length} labels for ${n} examples`);
  if (d.features.data.length !== d.features.rows * d.features.cols)
    throw new Error(`${what}: features hold ${d.features.data.length} values, expected ${d.features.rows}x${d.features.cols}`);
  for (let i = 0; i < n; i++) {
    const y = d.labels[i];
    if (!(Number.isInteger(y) && y >= 0 && y < numClasses)) throw new Error(`${what}: label ${i} = ${y} is outside 0..${numClasses - 1}`);
  }
}

/** Trains a probe classifier on training rows. The caller disposes the returned classifier. */
export async function trainLinearProbe(
  train: LabelledFeatures,
  numClasses: number,
  opts: LinearProbeOptions = {},
): Promise<{ classifier: LinearProbeClassifier; losses: number[] }> {
  checkFeatures({ ...train, groups: undefined }, numClasses, 'trainLinearProbe');
  const n = train.features.rows;
  const bs = Math.min(opts.batchSize ?? 64, n);
  const epochs = opts.epochs ?? 100;
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw new Error(`trainLinearProbe: epochs must be a positive integer, got ${epochs}`);
  const l2 = opts.l2 ?? 0;
  const saved = random.getRandomState();
  random.setSeed(opts.seed ?? 1);
  const classifier = new LinearProbeClassifier(train.features.cols, numClasses, opts);
  const perEpoch = Math.ceil(n / bs);
  const totalSteps = epochs * perEpoch;
  const trainer = new Trainer({ model: classifier, schedule: { kind: 'constant', baseLr: opts.lr ?? 5e-4, endLr: 0, warmupSteps: 0, totalSteps } });
  const x = tf.tensor2d(train.features.data, [n, train.features.cols]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(train.labels), 'int32'), numClasses));
  const losses: number[] = [];
  classifier.train();
  try {
    for (let e = 0; e < epochs; e++) {
      const perm = random.permutation(n);
      for (let b = 0; b < perEpoch; b++) {
        const idx = tf.tensor1d(perm.subarray(b * bs, Math.min(n, (b + 1) * bs)), 'int32');
        const r = await trainer.trainStep(() => ({
          loss: tf.tidy(() => {
            const logits = classifier.apply(tf.gather(x, idx) as tf.Tensor2D);
            const ce = tf.neg(tf.mean(tf.sum(tf.mul(tf.gather(y, idx), tf.logSoftmax(logits)), 1)));
            return (l2 > 0 ? tf.add(ce, tf.mul(l2, tf.sum(tf.square(classifier.logits.kernel)))) : ce) as tf.Scalar;
          }),
        }));
        idx.dispose();
        losses.push(r.loss);
        opts.onStep?.(r.step, r.loss);
      }
    }
  } finally {
    classifier.eval();
    tf.dispose([x, y]);
    trainer.dispose();
    random.setRandomState(saved);
  }
  return { classifier, losses };
}

/** Softmax probabilities per example [examples, C], averaged over each example's rows (clips). */
export function probeProbabilities(classifier: LinearProbeClassifier, features: Matrix, groups?: readonly number[]): Matrix {
  const probs = tf.tidy(() => tf.softmax(classifier.apply(tf.tensor2d(features.data, [features.rows, features.cols]))));
  const rows: Matrix = { data: probs.dataSync() as Float32Array, rows: features.rows, cols: classifier.numClasses };
  probs.dispose();
  return groups ? averageRows(rows, groups) : rows;
}

/** Means of consecutive row groups (no normalisation): multi-view prediction averaging. */
export function averageRows(m: Matrix, groups: readonly number[]): Matrix {
  const total = groups.reduce((a, b) => a + b, 0);
  if (total !== m.rows) throw new Error(`averageRows: groups sum to ${total}, expected the ${m.rows} rows`);
  const out = new Float32Array(groups.length * m.cols);
  let r = 0;
  groups.forEach((g, e) => {
    if (!(Number.isInteger(g) && g >= 1)) throw new Error(`averageRows: group ${e} has size ${g}, expected a positive integer`);
    for (let k = 0; k < g; k++, r++) for (let c = 0; c < m.cols; c++) out[e * m.cols + c] += m.data[r * m.cols + c] / g;
  });
  return { data: out, rows: groups.length, cols: m.cols };
}

export interface LinearProbeReport {
  head: ProbeHead;
  numClasses: number;
  numTrain: number;
  numTest: number;
  metrics: ClassificationMetrics;
  /** Training loss at the first and last step. */
  firstLoss: number;
  finalLoss: number;
  /** Averaged test probabilities [numTest, C]. */
  probabilities: Matrix;
}

/** Trains a probe on `train` and evaluates top-1 / top-5 on `test` (multi-clip averaged). */
export async function linearProbe(
  train: LabelledFeatures,
  test: LabelledFeatures,
  numClasses: number,
  opts: LinearProbeOptions = {},
): Promise<LinearProbeReport> {
  checkFeatures(test, numClasses, 'linearProbe test set');
  if (test.features.cols !== train.features.cols)
    throw new Error(`linearProbe: test features have ${test.features.cols} dims, training ${train.features.cols}`);
  const { classifier, losses } = await trainLinearProbe(train, numClasses, opts);
  try {
    const probabilities = probeProbabilities(classifier, test.features, test.groups);
    return {
      head: opts.head ?? 'low-rank',
      numClasses,
      numTrain: train.features.rows,
      numTest: probabilities.rows,
      metrics: classificationMetrics(probabilities.data, test.labels, numClasses),
      firstLoss: losses[0],
      finalLoss: losses[losses.length - 1],
      probabilities,
    };
  } finally {
    classifier.dispose();
  }
}
