/**
 * End-to-end fine-tuning of a `VideoClassifier` / `AudioClassifier` (vatt-spec.md sections 8.1-8.3):
 * SGD momentum 0.9 (tf.train.momentum), linear warmup then half cosine to 0 (the official
 * `CosineLearningRateWithLinearWarmup`), global-norm clipping 0.75 on BACKBONE gradients only (the
 * classifier is unclipped), label smoothing 0.1 (video) or class-count-weighted sigmoid BCE with
 * Beta(5,5) mixup (audio), NaN guard, checkpoints every N steps and exact resume (weights, momentum
 * slots, step, random stream). Evaluation averages the logits over each example's views
 * (N clips x 3 crops; `multiViewClips`).
 *
 * @example
 * const clf = VideoClassifier.fromVatt(vatt, { numClasses: 4 });
 * await finetuneClassifier(clf, pre, trainExamples, { steps: 100, batchSize: 8, lr: 0.005, warmup: 10 });
 * const r = await evaluateClassifier(clf, pre, testExamples);
 */
import * as tf from '@tensorflow/tfjs-core';
import { random } from '@vatt/transformer';
import * as path from 'node:path';
import { CheckpointManager, loadCheckpoint } from '../checkpoint/checkpoint.js';
import type { PreprocessingConfig } from '../model/config.js';
import type { Matrix } from '../model/encode.js';
import type { VattPreprocessor } from '../model/preprocess.js';
import { batchIndices } from '../train/pretrain.js';
import { Trainer, type StepResult } from '../train/trainer.js';
import { averageRows } from '../eval/linear-probe.js';
import { classificationMetrics, multiLabelMetrics, type ClassificationMetrics, type MultiLabelMetrics } from '../eval/metrics.js';
import { AudioClassifier, classifierFromConfig, VideoClassifier, type ClassifierConfig } from './classifier.js';
import { classBalancedSigmoidCrossEntropy, labelSmoothedCrossEntropy, mixup } from './losses.js';

/** One labelled example: its views (clips / crops / windows) and its class(es). */
export interface ClassificationExample<T extends Uint8Array | Float32Array = Uint8Array | Float32Array> {
  /** Training samples one view at random per step; evaluation averages the logits of all views. */
  views: readonly T[];
  /** A class index (single-label) or the indices of every positive class (multi-label). */
  label: number | readonly number[];
}

export interface FinetuneOptions {
  steps: number;
  batchSize: number;
  /** Peak learning rate (default 0.005 video, spec 8.1). */
  lr?: number;
  /** Linear warmup steps (default 10% of steps). */
  warmup?: number;
  momentum?: number;
  /** Global-norm clip of the backbone gradients (default 0.75; 0 disables). */
  clipNorm?: number;
  /** Label smoothing of the video / image softmax loss (default 0.1). */
  labelSmoothing?: number;
  /** Mixup Beta(alpha, alpha) for the audio classifier (default 5; 0 disables). Ignored for video. */
  mixupAlpha?: number;
  seed?: number;
  /** Run directory: checkpoints go to `<outDir>/checkpoints`. */
  outDir?: string;
  checkpointEvery?: number;
  keep?: number;
  /** Continue from the newest checkpoint in `outDir`. */
  resume?: boolean;
  /** Class names (index = label), stored in the checkpoints for `loadClassifier` and `vatt info`. */
  classes?: string[];
  onStep?: (r: StepResult) => void;
}

export interface FinetuneState {
  step: number;
  skippedSteps: number;
  seed: number;
  randomState: number;
  /** Class names, index = label (checkpoints written with `classes`). */
  classes?: string[];
}

export type Classifier = VideoClassifier | AudioClassifier;

function targetsOf(labels: ReadonlyArray<number | readonly number[]>, numClasses: number): tf.Tensor2D {
  const t = new Float32Array(labels.length * numClasses);
  labels.forEach((l, i) => {
    for (const c of typeof l === 'number' ? [l] : l) {
      if (!(Number.isInteger(c) && c >= 0 && c < numClasses)) throw new Error(`fine-tune: example ${i} has label ${c}, expected 0..${numClasses - 1}`);
      t[i * numClasses + c] = 1;
    }
  });
  return tf.tensor2d(t, [labels.length, numClasses]);
}

/** Logits of a batch of views (eval or train mode as the classifier is set). */
function logitsOf(
  clf: Classifier,
  pre: VattPreprocessor,
  views: ReadonlyArray<Uint8Array | Float32Array>,
  mixTargets?: { targets: tf.Tensor2D; alpha: number },
): { logits: tf.Tensor2D; targets?: tf.Tensor2D } {
  if (clf instanceof VideoClassifier) {
    const { patches, grid } = pre.videoPatches(views as Uint8Array[]);
    const logits = clf.apply(patches, grid);
    patches.dispose();
    return { logits };
  }
  let patches = pre.audioPatches(views as Float32Array[]);
  let targets: tf.Tensor2D | undefined;
  if (mixTargets && mixTargets.alpha > 0) {
    const m = mixup(patches, mixTargets.targets, mixTargets.alpha);
    patches.dispose();
    m.lambda.dispose();
    patches = m.inputs;
    targets = m.targets;
  }
  const logits = clf.apply(patches);
  patches.dispose();
  return { logits, targets };
}

/** Trains `clf` in place. Returns the per-step results and the last checkpoint (when `outDir` is set). */
export async function finetuneClassifier(
  clf: Classifier,
  pre: VattPreprocessor,
  train: readonly ClassificationExample[],
  opts: FinetuneOptions,
): Promise<{ history: StepResult[]; lastCheckpoint: string | null }> {
  const { steps, batchSize } = opts;
  if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`finetune: steps must be a positive integer, got ${steps}`);
  if (!train.length) throw new Error('finetune: no training examples');
  const video = clf instanceof VideoClassifier;
  const seed = opts.seed ?? 0;
  const numClasses = clf.config.numClasses;
  const manager = opts.outDir ? new CheckpointManager(path.join(opts.outDir, 'checkpoints'), opts.keep ?? 2) : null;
  const momentum = opts.momentum ?? 0.9;
  const trainer = new Trainer({
    model: clf,
    schedule: { kind: 'code', baseLr: opts.lr ?? 0.005, endLr: 0, warmupSteps: opts.warmup ?? Math.floor(steps / 10), totalSteps: steps },
    clipNorm: opts.clipNorm ?? 0.75,
    clipFilter: (name) => name.startsWith(clf.backbonePrefix),
    makeOptimizer: (lr) => tf.train.momentum(lr, momentum),
  });
  random.setSeed(seed);
  let lastCheckpoint: string | null = null;
  if (opts.resume && manager) {
    const latest = await manager.latest();
    if (latest) {
      const c = await loadCheckpoint<ClassifierConfig, unknown, FinetuneState>(latest.path);
      clf.loadWeights(c.weights);
      await trainer.restore(c.training!, c.optimizer);
      random.setRandomState(c.training!.randomState);
      tf.dispose([...Object.values(c.weights), ...Object.values(c.optimizer ?? {})]);
      lastCheckpoint = latest.path;
    }
  }
  const history: StepResult[] = [];
  clf.train();
  try {
    while (trainer.step < steps) {
      const { indices } = batchIndices(train.length, Math.min(batchSize, train.length), seed, trainer.step);
      const examples = indices.map((i) => train[i]);
      const views = examples.map((e) => e.views[Math.floor(random.nextFloat() * e.views.length)]);
      const targets = targetsOf(
        examples.map((e) => e.label),
        numClasses,
      );
      const r = await trainer.trainStep(() => {
        const out = logitsOf(clf, pre, views, video ? undefined : { targets, alpha: opts.mixupAlpha ?? 5 });
        const loss = video
          ? labelSmoothedCrossEntropy(out.logits, targets, opts.labelSmoothing ?? 0.1)
          : classBalancedSigmoidCrossEntropy(out.logits, out.targets ?? targets);
        return { loss };
      });
      targets.dispose();
      history.push(r);
      opts.onStep?.(r);
      if (manager && (trainer.step % (opts.checkpointEvery ?? 100) === 0 || trainer.step === steps)) {
        const state: FinetuneState = { ...trainer.state(), seed, randomState: random.getRandomState(), ...(opts.classes ? { classes: opts.classes } : {}) };
        lastCheckpoint = await manager.save(trainer.step, {
          modelConfig: clf.config,
          preprocessing: pre.config,
          training: state,
          weights: clf.namedWeights(),
          optimizer: await trainer.optimizerWeights(),
        });
      }
    }
  } finally {
    clf.eval();
    trainer.dispose();
  }
  return { history, lastCheckpoint };
}

export interface ClassifierEvaluation {
  numExamples: number;
  /** Logits averaged over each example's views [numExamples, C]. */
  logits: Matrix;
  /** Top-1 / top-5 (examples with one label). */
  classification?: ClassificationMetrics;
  /** mAP / AUC / d-prime (the audio classifier). */
  multiLabel?: MultiLabelMetrics;
  viewsPerExample: number;
}

/** Multi-view evaluation: every view's logits, averaged per example (spec 8.1 `PredictionAggregator`). */
export async function evaluateClassifier(
  clf: Classifier,
  pre: VattPreprocessor,
  test: readonly ClassificationExample[],
  opts: { batchSize?: number } = {},
): Promise<ClassifierEvaluation> {
  if (!test.length) throw new Error('evaluateClassifier: no examples');
  const was = clf.training;
  clf.eval();
  const views = test.flatMap((e) => e.views);
  const bs = opts.batchSize ?? 16;
  const c = clf.config.numClasses;
  const all = new Float32Array(views.length * c);
  try {
    for (let i = 0; i < views.length; i += bs) {
      const { logits } = logitsOf(clf, pre, views.slice(i, i + bs));
      all.set(await logits.data(), i * c);
      logits.dispose();
    }
  } finally {
    clf.train(was);
  }
  const logits = averageRows(
    { data: all, rows: views.length, cols: c },
    test.map((e) => e.views.length),
  );
  const single = test.every((e) => typeof e.label === 'number');
  const result: ClassifierEvaluation = { numExamples: test.length, logits, viewsPerExample: Math.max(...test.map((e) => e.views.length)) };
  if (single)
    result.classification = classificationMetrics(
      logits.data,
      test.map((e) => e.label as number),
      c,
    );
  if (clf instanceof AudioClassifier) {
    const t = targetsOf(
      test.map((e) => e.label),
      c,
    );
    result.multiLabel = multiLabelMetrics(logits.data, t.dataSync(), test.length, c);
    t.dispose();
  }
  return result;
}

export interface LoadedClassifier {
  classifier: Classifier;
  preprocessing: PreprocessingConfig;
  training?: FinetuneState;
}

/** A fine-tuned video or audio classifier from a checkpoint written by `finetuneClassifier` (`vatt eval finetune --out`). */
export async function loadClassifier(dir: string): Promise<LoadedClassifier> {
  const c = await loadCheckpoint<ClassifierConfig, PreprocessingConfig, FinetuneState>(dir);
  try {
    if (!isClassifierConfig(c.modelConfig))
      throw new Error(`checkpoint ${dir} is not a fine-tuned classifier (no video-classifier / audio-classifier config); load it with loadVatt`);
    const classifier = classifierFromConfig(c.modelConfig);
    classifier.loadWeights(c.weights);
    classifier.eval();
    return { classifier, preprocessing: c.preprocessing, training: c.training };
  } finally {
    tf.dispose([...Object.values(c.weights), ...Object.values(c.optimizer ?? {})]);
  }
}

/** Whether a checkpoint's model config is a fine-tuned classifier's. */
export function isClassifierConfig(config: unknown): config is ClassifierConfig {
  const kind = (config as { kind?: unknown } | null)?.kind;
  return kind === 'video-classifier' || kind === 'audio-classifier';
}
