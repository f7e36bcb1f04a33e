/**
 * End-to-end fine-tuning of a `VideoClassifier` / `AudioClassifier` (docs/numerics.md §8.1-§8.3):
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
import { loadCheckpoint } from '../checkpoint/store.js';
import { configDifferences, type PreprocessingConfig } from '../config/experiment.js';
import { batchIndices } from '../data/order.js';
import type { Matrix } from '../model/encode.js';
import type { VattPreprocessor } from '../model/preprocess.js';
import { TrainingRun, type StepRecord, type TrainingState } from '../train/run.js';
import { Trainer } from '../train/trainer.js';
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
  /** Peak learning rate (default 0.005 video, docs/numerics.md §8.1). */
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
  /** Start afresh in an `outDir` that holds another run's checkpoints, deleting them. */
  overwrite?: boolean;
  /** On resume, continue even though the options differ from the saved run's. */
  allowChanges?: boolean;
  /** Class names (index = label), stored in the checkpoints for `loadClassifier` and `vatt info`. */
  classes?: string[];
  onStep?: (r: StepRecord) => void;
}

/** What defines a fine-tuning run (compared on resume): its resolved options. */
export type FinetuneRun = Required<
  Pick<FinetuneOptions, 'steps' | 'batchSize' | 'lr' | 'warmup' | 'momentum' | 'clipNorm' | 'labelSmoothing' | 'mixupAlpha' | 'seed'>
>;

/** A fine-tuning checkpoint's training state. */
export type FinetuneState = TrainingState<FinetuneRun>;

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

/** Trains `clf` in place. Returns the per-step records and the last checkpoint (when `outDir` is set). */
export async function finetuneClassifier(
  clf: Classifier,
  pre: VattPreprocessor,
  train: readonly ClassificationExample[],
  opts: FinetuneOptions,
): Promise<{ history: StepRecord[]; lastCheckpoint: string | null }> {
  if (!train.length) throw new Error('finetune: no training examples');
  const video = clf instanceof VideoClassifier;
  const run: FinetuneRun = {
    steps: opts.steps,
    batchSize: Math.min(opts.batchSize, train.length),
    lr: opts.lr ?? 0.005,
    warmup: opts.warmup ?? Math.floor(opts.steps / 10),
    momentum: opts.momentum ?? 0.9,
    clipNorm: opts.clipNorm ?? 0.75,
    labelSmoothing: opts.labelSmoothing ?? 0.1,
    mixupAlpha: video ? 0 : (opts.mixupAlpha ?? 5),
    seed: opts.seed ?? 0,
  };
  const numClasses = clf.config.numClasses;
  const trainer = new Trainer({
    model: clf,
    schedule: { kind: 'code', baseLr: run.lr, endLr: 0, warmupSteps: run.warmup, totalSteps: run.steps },
    clipNorm: run.clipNorm,
    clipFilter: (name) => name.startsWith(clf.backbonePrefix),
    makeOptimizer: (lr) => tf.train.momentum(lr, run.momentum),
  });
  try {
    const training = await TrainingRun.open<FinetuneRun>({ outDir: opts.outDir, resume: opts.resume, overwrite: opts.overwrite });
    random.setSeed(run.seed);
    await training.restore(clf, trainer, { run, differences: (a, b) => configDifferences(a, b), allowChanges: opts.allowChanges });
    clf.train();
    return await training.loop({
      steps: run.steps,
      checkpointEvery: opts.checkpointEvery ?? 100,
      keep: opts.keep ?? 2,
      model: clf,
      trainer,
      seed: run.seed,
      run,
      classes: opts.classes,
      saved: () => ({ modelConfig: clf.config, preprocessing: pre.config }),
      onStep: opts.onStep,
      step: async (step) => {
        const { indices } = batchIndices(train.length, run.batchSize, run.seed, step);
        const examples = indices.map((i) => train[i]);
        const views = examples.map((e) => e.views[Math.floor(random.nextFloat() * e.views.length)]);
        const targets = targetsOf(
          examples.map((e) => e.label),
          numClasses,
        );
        try {
          const result = await trainer.trainStep(() => {
            const out = logitsOf(clf, pre, views, video ? undefined : { targets, alpha: run.mixupAlpha });
            const loss = video
              ? labelSmoothedCrossEntropy(out.logits, targets, run.labelSmoothing)
              : classBalancedSigmoidCrossEntropy(out.logits, out.targets ?? targets);
            return { loss };
          });
          return { result };
        } finally {
          targets.dispose();
        }
      },
    });
  } finally {
    clf.eval();
    trainer.dispose();
  }
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

/** Multi-view evaluation: every view's logits, averaged per example (docs/numerics.md §8.1 `PredictionAggregator`). */
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
