/** Implementations of the `vatt` CLI commands (argument parsing lives in main.ts). */
import { SingleBar, Presets } from 'cli-progress';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { setupBackend, type BackendChoice } from '../backend.js';
import { embeddedSplits } from '../data/embedded.js';
import { formatZeroShot, zeroShotRetrieval, type ZeroShotReport } from '../eval/zero-shot.js';
import { getPreset, PRESET_NAMES, type PresetName } from '../model/config.js';
import { encodeAudio, encodeText, encodeVideo } from '../model/encode.js';
import { loadVatt } from '../model/load.js';
import { isClassifierConfig, loadClassifier } from '../finetune/finetune.js';
import { pretrain, type PretrainData, type PretrainOptions, type StepRecord, type TrainingState } from '../train/pretrain.js';
import { evaluationClips, readSource } from '../data/sources.js';
import type { Clip } from '../data/clips.js';
import type { PreprocessingConfig } from '../model/config.js';
import { buildVocabulary } from '@vatt/tokenizers';
import { countParameters } from '@vatt/transformer';

import { out, resolveCheckpoint, writeJsonAtomic } from './args.js';

function progressReporter(total: number, quiet: boolean) {
  if (quiet) return { step: (_r: StepRecord) => {}, stop: () => {} };
  if (process.stdout.isTTY) {
    const bar = new SingleBar(
      { format: 'pretrain |{bar}| {value}/{total} steps | loss {loss} | {sps} steps/s | eta {eta_formatted}', hideCursor: true },
      Presets.shades_classic,
    );
    let started = false;
    return {
      step: (r: StepRecord) => {
        if (!started) {
          bar.start(total, r.step - 1, { loss: '-', sps: '-' });
          started = true;
        }
        bar.update(r.step, { loss: r.loss.toFixed(4), sps: r.stepsPerSec.toFixed(2) });
      },
      stop: () => started && bar.stop(),
    };
  }
  const every = Math.max(1, Math.round(total / 20));
  return {
    step: (r: StepRecord) => {
      if (r.step % every === 0 || r.step === total || r.skipped || r.step === 1) {
        out(
          JSON.stringify({
            step: r.step,
            loss: +r.loss.toFixed(5),
            loss_va: +r.metrics.loss_va.toFixed(5),
            loss_vt: +r.metrics.loss_vt.toFixed(5),
            lr: r.lr,
            steps_per_s: +r.stepsPerSec.toFixed(2),
            tensors: r.tensors,
            ...(r.skipped ? { skipped: r.reason } : {}),
          }),
        );
      }
    },
    stop: () => {},
  };
}

interface PretrainCliOptions {
  preset: string;
  data: string;
  steps: number;
  batch: number;
  lr: number;
  warmup: number;
  schedule: string;
  dropRate: number;
  microBatch?: number;
  replicas?: number;
  checkpointLayers?: boolean;
  clipNorm: number;
  seed: number;
  out: string;
  checkpointEvery: number;
  keep: number;
  resume: boolean;
  quiet: boolean;
  backend: BackendChoice;
}

function checkPreset(p: string): PresetName {
  if (!(PRESET_NAMES as readonly string[]).includes(p)) throw new Error(`--preset must be one of ${PRESET_NAMES.join(', ')}, got "${p}"`);
  return p as PresetName;
}

async function runPretrain(o: PretrainCliOptions) {
  if (!['code', 'paper', 'constant'].includes(o.schedule)) throw new Error(`--schedule must be code, paper or constant, got "${o.schedule}"`);
  const preset = checkPreset(o.preset);
  const { model: presetModel, preprocessing } = getPreset(preset);
  const splits = embeddedSplits(preprocessing, o.seed);
  let data: PretrainData = splits.train;
  let vocab = splits.vocab;
  if (o.data !== 'embedded') {
    const source = await readSource(o.data);
    const captions = source.samples.flatMap((s) => (s.captions ?? []).map((c) => (typeof c === 'string' ? c : c.text)));
    vocab = [...buildVocabulary(captions, { maxSize: presetModel.text.input.vocabSize }).words];
    data = { samples: source.samples };
    if (!o.quiet) out(`data: ${source.kind} at ${o.data}, ${source.samples.length} samples, vocabulary of ${vocab.length} words`);
  }
  const opts: PretrainOptions = {
    preset,
    steps: o.steps,
    batchSize: o.batch,
    lr: o.lr,
    warmup: o.warmup,
    schedule: o.schedule as PretrainOptions['schedule'],
    dropRate: o.dropRate,
    microBatch: o.microBatch,
    replicas: o.replicas,
    checkpointLayers: o.checkpointLayers,
    clipNorm: o.clipNorm,
    seed: o.seed,
    outDir: o.out,
    checkpointEvery: o.checkpointEvery,
    keep: o.keep,
    resume: o.resume,
  };
  const progress = progressReporter(o.steps, o.quiet);
  const t0 = Date.now();
  let skippedSamples = 0;
  const result = await pretrain(opts, data, vocab, {
    onStep: progress.step,
    onSkip: (id, reason) => {
      skippedSamples++;
      if (!o.quiet) process.stderr.write(`skipped sample ${id}: ${reason}\n`);
    },
    onStart: ({ model, startStep, resumedFrom }) => {
      if (o.quiet) return;
      out(
        `model: ${preset} (${model.config.variant}), ${(model.countParams(true) / 1e6).toFixed(3)} M trainable ` +
          `parameters${'size' in data ? `; ${data.size} training clips` : ''}`,
      );
      if (resumedFrom) out(`resuming from ${resumedFrom} at step ${startStep}`);
    },
  });
  progress.stop();
  const skipped = result.history.filter((r) => r.skipped).length;
  if (!o.quiet)
    out(
      `trained ${result.history.length} steps in ${((Date.now() - t0) / 1000).toFixed(1)} ` +
        `s${skipped ? `, ${skipped} skipped (non-finite)` : ''}${skippedSamples ? `, ${skippedSamples} bad samples skipped` : ''}; checkpoint: ` +
        `${result.lastCheckpoint}`,
    );
  return { result, splits };
}

export async function commandPretrain(o: PretrainCliOptions): Promise<void> {
  const b = await setupBackend(o.backend);
  if (!o.quiet) out(`backend: ${b.name} (${b.detail})`);
  const { result } = await runPretrain(o);
  result.model.dispose();
}

export async function commandMain(o: { steps?: number; seed: number; out: string; backend: BackendChoice }): Promise<void> {
  const t0 = Date.now();
  const b = await setupBackend(o.backend);
  out(`backend: ${b.name} (${b.detail})`);
  const { result, splits } = await runPretrain({
    preset: 'tiny',
    data: 'embedded',
    steps: o.steps ?? 400,
    batch: 32,
    lr: 2e-3,
    warmup: 40,
    schedule: 'code',
    dropRate: 0.5,
    clipNorm: 0,
    seed: o.seed,
    out: o.out,
    checkpointEvery: 100,
    keep: 2,
    resume: false,
    quiet: false,
    backend: o.backend,
  });
  const report = await zeroShotRetrieval(result.model, result.preprocessor, splits.heldout);
  out('');
  out(formatZeroShot(report));
  const r1 = report.textToVideo.R1;
  const ratio = r1 / report.textToVideo.chance.R1;
  out('');
  out(
    `held-out text->video R@1 = ${(100 * r1).toFixed(1)}% = ${ratio.toFixed(1)}x chance (${(100 * report.textToVideo.chance.R1).toFixed(1)}%); total ` +
      `wall time ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  );
  await writeJsonAtomic(path.join(o.out, 'retrieval.json'), report);
  result.model.dispose();
}

/** The embedded held-out split, or a real source decoded for evaluation (bad samples reported, skipped). */
async function evaluationSet(spec: string, pre: PreprocessingConfig, seed: number): Promise<Clip[]> {
  if (spec === 'embedded') return embeddedSplits(pre, seed).heldout;
  const source = await readSource(spec, { evaluation: true });
  const { clips, skipped } = await evaluationClips(source.samples, pre);
  for (const s of skipped) process.stderr.write(`skipped sample ${s.id}: ${s.reason}\n`);
  out(`data: ${source.kind} at ${spec}, ${clips.length} clips${skipped.length ? ` (${skipped.length} skipped)` : ''}`);
  return clips;
}

export async function commandRetrieval(ckptArg: string, o: Record<string, unknown>): Promise<void> {
  const b = await setupBackend((o.backend as BackendChoice) ?? 'auto');
  const dir = await resolveCheckpoint(ckptArg);
  const loaded = await loadVatt<TrainingState>(dir);
  const clips = await evaluationSet(String(o.data ?? 'embedded'), loaded.preprocessing, loaded.training?.seed ?? 0);
  out(`backend: ${b.name}; checkpoint: ${dir}`);
  const report: ZeroShotReport = await zeroShotRetrieval(loaded.model, loaded.preprocessor, clips);
  out(formatZeroShot(report));
  if (typeof o.json === 'string') await writeJsonAtomic(o.json, report);
  loaded.model.dispose();
}

export async function commandEmbed(ckptArg: string, o: Record<string, unknown>): Promise<void> {
  await setupBackend((o.backend as BackendChoice) ?? 'auto');
  const dir = await resolveCheckpoint(ckptArg);
  const loaded = await loadVatt<TrainingState>(dir);
  const file = String(o.out);
  const rows = (m: { data: Float32Array; rows: number; cols: number }) =>
    Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  if (Array.isArray(o.text)) {
    const t = await encodeText(loaded.model, loaded.preprocessor, o.text as string[]);
    await writeJsonAtomic(file, { checkpoint: dir, captions: o.text, features: rows(t.features), vt: rows(t.vt) });
  } else {
    const heldout = await evaluationSet(String(o.data ?? 'embedded'), loaded.preprocessing, loaded.training?.seed ?? 0);
    const v = await encodeVideo(
      loaded.model,
      loaded.preprocessor,
      heldout.map((c) => c.video),
    );
    const a = await encodeAudio(
      loaded.model,
      loaded.preprocessor,
      heldout.map((c) => c.audio),
    );
    const t = await encodeText(
      loaded.model,
      loaded.preprocessor,
      heldout.map((c) => c.captions[0]),
    );
    await writeJsonAtomic(file, {
      checkpoint: dir,
      clips: heldout.map((c) => ({ id: c.id, caption: c.captions[0] })),
      video: { features: rows(v.features), va: rows(v.va), vt: rows(v.vt) },
      audio: { features: rows(a.features), va: rows(a.va) },
      text: { features: rows(t.features), vt: rows(t.vt) },
    });
  }
  out(`wrote ${file}`);
  loaded.model.dispose();
}

/** `vatt info` for a fine-tuned classifier checkpoint. */
async function classifierInfo(dir: string): Promise<void> {
  const { classifier, preprocessing, training } = await loadClassifier(dir);
  const c = classifier.config;
  const b = c.backbone;
  const backbone = classifier
    .namedParameters()
    .filter(([n]) => n.startsWith(classifier.backbonePrefix))
    .reduce((s, [, v]) => s + v.size, 0);
  out(`checkpoint: ${dir}`);
  out(`fine-tuned ${c.kind}: ${c.numClasses} classes, dropout ${c.dropout}`);
  out(`backbone ${b.numLayers} layers x d${b.dModel} (${b.numHeads} heads x ${b.dKv}, MLP ${b.dFF}); ${(backbone / 1e6).toFixed(3)} M parameters`);
  out(`total  ${(classifier.countParams() / 1e6).toFixed(3)} M parameters`);
  if (training?.classes) out(`classes: ${training.classes.join(', ')}`);
  out(`preprocessing: ${JSON.stringify(preprocessing)}`);
  if (training) out(`training: step ${training.step} (skipped ${training.skippedSteps}), seed ${training.seed}`);
  classifier.dispose();
}

export async function commandInfo(ckptArg: string): Promise<void> {
  await setupBackend('cpu');
  const dir = await resolveCheckpoint(ckptArg);
  // model.json names the model config (modelTopology.config): a classifier's or VATT's.
  const manifest = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8').catch(() => '{}')) as { modelTopology?: { config?: unknown } };
  if (isClassifierConfig(manifest.modelTopology?.config)) return classifierInfo(dir);
  const loaded = await loadVatt<TrainingState>(dir);
  const m = loaded.model;
  const c = loaded.config;
  const tower = (prefix: string) =>
    m
      .namedParameters()
      .filter(([n]) => n.startsWith(prefix))
      .reduce((s, [, v]) => s + v.size, 0);
  out(`checkpoint: ${dir}`);
  out(`variant: ${c.variant}`);
  for (const [name, cfg] of [
    ['video', c.video],
    ['audio', c.audio],
    ['text', c.text],
  ] as const) {
    out(
      `${name.padEnd(6)} ${cfg.numLayers} layers x d${cfg.dModel} (${cfg.numHeads} heads x ${cfg.dKv}, MLP ${cfg.dFF}); ` +
        `${(tower(`${name}/`) / 1e6).toFixed(3)} M parameters (formula: ${(countParameters(cfg).total / 1e6).toFixed(3)} M)`,
    );
  }
  if (m.sharedEncoder) out(`shared encoder: ${(tower('tx/') / 1e6).toFixed(3)} M parameters`);
  out(`head   d_va ${c.head.dVa}, d_vt ${c.head.dVt} (${c.head.style} style); ${(tower('head/') / 1e6).toFixed(3)} M parameters`);
  out(`total  ${(m.countParams() / 1e6).toFixed(3)} M parameters, ${(m.countParams(true) / 1e6).toFixed(3)} M trainable`);
  out(`preprocessing: ${JSON.stringify(loaded.preprocessing)}`);
  out(`vocabulary: ${loaded.vocab.length} words`);
  if (loaded.training)
    out(
      `training: step ${loaded.training.step} (skipped ${loaded.training.skippedSteps}), seed ${loaded.training.seed}, options ` +
        `${JSON.stringify(loaded.training.options)}`,
    );
  m.dispose();
}
