/**
 * `vatt eval linear <checkpoint>` and `vatt eval finetune <checkpoint>`: linear probes on frozen [AGG]
 * features and end-to-end fine-tuning (docs/numerics.md §8.1-§8.5), on the embedded dataset
 * (labels = one attribute) or a class-per-folder directory of audio files or images.
 * `vatt eval captions <checkpoint>`: retrieval with several captions per clip and a similarity export.
 * (`vatt eval retrieval` lives in commands.ts.)
 */
import { Command, Option } from 'commander';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { random } from '@vatt/transformer';
import { setupBackend, type BackendChoice } from '../backend.js';
import { linearProbe, type LinearProbeReport, type ProbeHead } from '../eval/linear-probe.js';
import { formatMultiCaption, multiCaptionRetrieval, similarityToNpy } from '../eval/multi-caption.js';
import { embeddedSplits } from '../data/embedded.js';
import type { ClassificationMetrics, MultiLabelMetrics } from '../eval/metrics.js';
import { encodeAudio, encodeVideo, type Matrix } from '../model/encode.js';
import { loadVatt } from '../model/load.js';
import { VattPreprocessor } from '../model/preprocess.js';
import { AudioClassifier, VideoClassifier } from '../finetune/classifier.js';
import { evaluateClassifier, finetuneClassifier } from '../finetune/finetune.js';
import { EMBEDDED_LABELS, loadLabelledSource, type EmbeddedLabel, type LabelledSource, type Modality } from '../finetune/sources.js';

import { backendOption, float, int, out, resolveCheckpoint, writeJsonAtomic } from './args.js';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** A two-column table: metric, value, chance. */
function table(title: string, rows: Array<[string, string, string]>): string {
  const all: Array<[string, string, string]> = [['metric', 'value', 'chance'], ...rows];
  const w = [0, 1, 2].map((c) => Math.max(...all.map((r) => r[c].length)));
  return [title, ...all.map((r) => r.map((cell, c) => (c ? cell.padStart(w[c]) : cell.padEnd(w[c]))).join('  '))].join('\n');
}

function classificationRows(m: ClassificationMetrics): Array<[string, string, string]> {
  return [
    ['top-1', pct(m.top1), pct(m.chance.top1)],
    ['top-5', pct(m.top5), pct(m.chance.top5)],
  ];
}

function multiLabelRows(m: MultiLabelMetrics): Array<[string, string, string]> {
  return [
    ['mAP', m.mAP.toFixed(4), '-'],
    ['mean AUC', m.meanAuc.toFixed(4), '0.5000'],
    ["d' (official: mean of per-class)", m.dPrime.toFixed(4), '0.0000'],
    ["d' (baselines: of mean AUC)", m.dPrimeOfMeanAuc.toFixed(4), '0.0000'],
  ];
}

interface CommonOptions {
  data: string;
  label: EmbeddedLabel;
  modality: Modality;
  clips: number;
  split?: number;
  maxPerClass?: number;
  seed: number;
  json?: string;
  backend: BackendChoice;
}

async function prepare(ckptArg: string, o: CommonOptions) {
  const b = await setupBackend(o.backend);
  const dir = await resolveCheckpoint(ckptArg);
  const loaded = await loadVatt<{ seed?: number }>(dir);
  const source = await loadLabelledSource(o.data, loaded.preprocessing, {
    label: o.label,
    modality: o.modality,
    clips: o.clips,
    split: o.split,
    maxPerClass: o.maxPerClass,
    seed: o.data === 'embedded' ? (loaded.training?.seed ?? o.seed) : o.seed,
  });
  const pre = new VattPreprocessor(source.preprocessing, loaded.vocab);
  out(`backend: ${b.name}; checkpoint: ${dir}`);
  out(
    `data: ${source.description}; ${source.classes.length} classes (${source.classes.join(', ')}); ${source.train.length} train / ${source.test.length} ` +
      `test examples`,
  );
  return { dir, loaded, source, pre };
}

async function features(
  loaded: Awaited<ReturnType<typeof loadVatt>>,
  pre: VattPreprocessor,
  source: LabelledSource,
  examples: LabelledSource['train'],
): Promise<Matrix> {
  const views = examples.flatMap((e) => e.views);
  return source.modality === 'video'
    ? (await encodeVideo(loaded.model, pre, views as Uint8Array[])).features
    : (await encodeAudio(loaded.model, pre, views as Float32Array[])).features;
}

export interface LinearCliOptions extends CommonOptions {
  head: ProbeHead;
  epochs: number;
  lr: number;
  l2: number;
  batch: number;
}

/** Linear probe: every view of a training example is a training row; test views' probabilities are averaged. */
export async function commandEvalLinear(ckptArg: string, o: LinearCliOptions): Promise<LinearProbeReport & { checkpoint: string; classes: string[] }> {
  const { dir, loaded, source, pre } = await prepare(ckptArg, o);
  try {
    const trainFeatures = await features(loaded, pre, source, source.train);
    const testFeatures = await features(loaded, pre, source, source.test);
    const trainLabels = source.train.flatMap((e) => e.views.map(() => e.label as number));
    const report = await linearProbe(
      { features: trainFeatures, labels: trainLabels },
      { features: testFeatures, labels: source.test.map((e) => e.label as number), groups: source.test.map((e) => e.views.length) },
      source.classes.length,
      { head: o.head, epochs: o.epochs, lr: o.lr, l2: o.l2, batchSize: o.batch, seed: o.seed },
    );
    out(
      table(
        `linear probe (${report.head}, ${o.epochs} epochs) on frozen ${source.modality} [AGG] features: ${report.numTrain} train rows, ` +
          `${report.numTest} test examples; loss ${report.firstLoss.toFixed(3)} -> ${report.finalLoss.toFixed(3)}`,
        classificationRows(report.metrics),
      ),
    );
    const result = { checkpoint: dir, data: source.description, classes: source.classes, ...report };
    if (o.json) await writeJsonAtomic(o.json, { ...result, probabilities: undefined });
    return result;
  } finally {
    loaded.model.dispose();
  }
}

export interface FinetuneCliOptions extends CommonOptions {
  steps: number;
  batch: number;
  lr: number;
  warmup: number;
  clipNorm: number;
  mixup: number;
  out?: string;
  checkpointEvery: number;
  resume: boolean;
  overwrite: boolean;
  allowChanges: boolean;
}

/** Fine-tunes the checkpoint's video or audio tower with a classifier head, then evaluates with all views. */
export async function commandEvalFinetune(ckptArg: string, o: FinetuneCliOptions) {
  const { dir, loaded, source, pre } = await prepare(ckptArg, o);
  random.setSeed(o.seed);
  const numClasses = source.classes.length;
  const clf = source.modality === 'video' ? VideoClassifier.fromVatt(loaded.model, { numClasses }) : AudioClassifier.fromVatt(loaded.model, { numClasses });
  loaded.model.dispose();
  try {
    const t0 = Date.now();
    const every = Math.max(1, Math.round(o.steps / 10));
    const { history, lastCheckpoint } = await finetuneClassifier(clf, pre, source.train, {
      steps: o.steps,
      batchSize: o.batch,
      lr: o.lr,
      warmup: Math.min(o.warmup, o.steps),
      clipNorm: o.clipNorm,
      mixupAlpha: o.mixup,
      seed: o.seed,
      outDir: o.out,
      checkpointEvery: o.checkpointEvery,
      resume: o.resume,
      overwrite: o.overwrite,
      allowChanges: o.allowChanges,
      classes: source.classes,
      onStep: (r) => {
        if (r.step % every === 0 || r.step === 1)
          out(
            JSON.stringify({
              step: r.step,
              loss: +r.loss.toFixed(5),
              lr: +r.lr.toPrecision(4),
              grad_norm: +r.gradNorm.toFixed(4),
              ...(r.skipped ? { skipped: r.reason } : {}),
            }),
          );
      },
    });
    const evaluation = await evaluateClassifier(clf, pre, source.test);
    const rows = [
      ...(evaluation.classification ? classificationRows(evaluation.classification) : []),
      ...(evaluation.multiLabel ? multiLabelRows(evaluation.multiLabel) : []),
    ];
    out(
      table(
        `fine-tuned ${source.modality} classifier, ${history.length} steps in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${evaluation.numExamples} ` +
          `test examples x ${evaluation.viewsPerExample} view(s), logits averaged`,
        rows,
      ),
    );
    const result = {
      checkpoint: dir,
      data: source.description,
      classes: source.classes,
      modality: source.modality,
      steps: history.length,
      firstLoss: history[0]?.loss,
      finalLoss: history[history.length - 1]?.loss,
      lastCheckpoint,
      classification: evaluation.classification,
      multiLabel: evaluation.multiLabel,
    };
    if (o.json) await writeJsonAtomic(o.json, result);
    return result;
  } finally {
    clf.dispose();
  }
}

/**
 * Zero-shot retrieval with every caption of each held-out clip as a query (MSR-VTT style), and the
 * caption x video similarity matrix exported as .npy (NumPy) or .json.
 */
export async function commandEvalCaptions(ckptArg: string, o: { similarity?: string; json?: string; backend: BackendChoice }) {
  const b = await setupBackend(o.backend);
  const dir = await resolveCheckpoint(ckptArg);
  const loaded = await loadVatt<{ seed?: number }>(dir);
  try {
    const { heldout } = embeddedSplits(loaded.preprocessing, loaded.training?.seed ?? 0);
    out(`backend: ${b.name}; checkpoint: ${dir}`);
    const report = await multiCaptionRetrieval(
      loaded.model,
      loaded.preprocessor,
      heldout.map((c) => ({ id: c.id, clips: [c.video], captions: c.captions })),
    );
    out(formatMultiCaption(report));
    const { similarity, ...metrics } = report;
    if (o.similarity) {
      await fs.mkdir(path.dirname(path.resolve(o.similarity)), { recursive: true });
      if (o.similarity.endsWith('.npy')) await fs.writeFile(o.similarity, similarityToNpy(similarity));
      else
        await writeJsonAtomic(o.similarity, {
          shape: [similarity.rows, similarity.cols],
          captionVideo: Array.from(similarity.captionVideo),
          data: Array.from(similarity.data),
        });
      out(`wrote the ${similarity.rows} x ${similarity.cols} caption x video similarity to ${o.similarity}`);
    }
    if (o.json) await writeJsonAtomic(o.json, { checkpoint: dir, ...metrics });
    return report;
  } finally {
    loaded.model.dispose();
  }
}

function commonOptions(c: Command): Command {
  return c
    .option(
      '--data <source>',
      '"embedded" (labels = --label), ESC-50 / UCF101 / HMDB51 / Kinetics in their published layout, or a directory with one folder of audio files or ' +
        'images per class',
      'embedded',
    )
    .addOption(new Option('--label <attribute>', 'embedded data: the attribute to classify').choices(Object.keys(EMBEDDED_LABELS)).default('shape'))
    .addOption(
      new Option('--modality <tower>', 'embedded data: the tower to evaluate (directories: from the file kind)').choices(['video', 'audio']).default('video'),
    )
    .option('--clips <n>', 'views per example (audio windows, video clips; test videos x 3 crops), predictions averaged', int('--clips', 1), 4)
    .option('--split <n>', 'benchmarks: ESC-50 held-out fold (1-5), UCF101 / HMDB51 split (1-3)', int('--split', 1))
    .option('--max-per-class <n>', 'directories and benchmarks: at most this many files per class and split', int('--max-per-class', 1))
    .option('--seed <n>', 'random seed', int('--seed'), 1)
    .option('--json <file>', 'also write the results as JSON')
    .addOption(backendOption());
}

/** Adds `linear` and `finetune` under the `eval` command (created if missing). */
export function registerEvalCommands(program: Command): void {
  const evalCmd = program.commands.find((c) => c.name() === 'eval') ?? program.command('eval').description('evaluate a checkpoint');
  commonOptions(
    evalCmd
      .command('linear <checkpoint>')
      .description('linear probe on frozen [AGG] features: top-1 / top-5 vs chance')
      .addOption(new Option('--head <kind>', 'low-rank (paper: d->128->C, dropout 0.9) or logistic').choices(['low-rank', 'logistic']).default('low-rank'))
      .option('--epochs <n>', 'training epochs', int('--epochs', 1), 100)
      .option('--lr <x>', 'Adam learning rate', float('--lr', 0), 5e-4)
      .option('--l2 <x>', 'L2 on the last layer (official code: 0.1)', float('--l2', 0), 0)
      .option('--batch <n>', 'batch size', int('--batch', 1), 64),
  ).action(async (ckpt: string, o: LinearCliOptions) => {
    await commandEvalLinear(ckpt, o);
  });
  commonOptions(
    evalCmd
      .command('finetune <checkpoint>')
      .description('fine-tune the video or audio tower with a classifier head; multi-view evaluation')
      .option('--steps <n>', 'training steps', int('--steps', 1), 100)
      .option('--batch <n>', 'batch size', int('--batch', 1), 16)
      .option('--lr <x>', 'peak learning rate (SGD momentum 0.9)', float('--lr', 0), 0.005)
      .option('--warmup <n>', 'warmup steps (at most --steps)', int('--warmup'), 10)
      .option('--clip-norm <x>', 'global-norm clip of backbone gradients (0 = off)', float('--clip-norm', 0), 0.75)
      .option('--mixup <alpha>', 'audio: mixup Beta(alpha, alpha) (0 = off)', float('--mixup', 0), 5)
      .option('--out <dir>', 'run directory for checkpoints')
      .option('--checkpoint-every <n>', 'steps between checkpoints', int('--checkpoint-every', 1), 50)
      .option('--resume', 'continue from the newest checkpoint in --out', false)
      .option('--overwrite', 'start afresh in an --out that holds another run (deletes its checkpoints)', false)
      .option('--allow-changes', 'with --resume: continue even though the options differ from the saved run', false),
  ).action(async (ckpt: string, o: FinetuneCliOptions) => {
    await commandEvalFinetune(ckpt, o);
  });
  evalCmd
    .command('captions <checkpoint>')
    .description('zero-shot retrieval with every caption of each held-out clip as a query (MSR-VTT style); similarity export')
    .option('--similarity <file>', 'write the caption x video similarity matrix (.npy for NumPy, else JSON)')
    .option('--json <file>', 'also write the metrics as JSON')
    .addOption(backendOption())
    .action(async (ckpt: string, o: { similarity?: string; json?: string; backend: BackendChoice }) => {
      await commandEvalCaptions(ckpt, o);
    });
}
