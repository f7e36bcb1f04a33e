/**
 * `vatt pretrain`, `vatt main` and `vatt config`: an experiment config (a preset, or `--config my.json`),
 * changed by `--set key=value` and the shorthand flags (`--steps` is `--set training.steps=...`), trained by
 * `pretrain()`. With `--resume` the run's saved config is the base, and the flags given must agree with it.
 */
import { Command, Option } from 'commander';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { setupBackend, type BackendChoice } from '../backend.js';
import { CheckpointManager, readCheckpointInfo } from '../checkpoint/store.js';
import { applyOverrides, validateExperiment, type ExperimentConfig, type ExperimentInput } from '../config/experiment.js';
import { getExperiment, isPresetName, PRESET_NAMES } from '../config/presets.js';
import { embeddedSplits } from '../data/embedded.js';
import { readSource } from '../data/sources.js';
import { formatZeroShot, zeroShotRetrieval } from '../eval/zero-shot.js';
import { pretrain, type PretrainData, type PretrainResult, type PretrainState } from '../train/pretrain.js';
import type { StepRecord } from '../train/run.js';
import { SCHEDULE_KINDS } from '../train/schedule.js';
import { backendOption, float, int, out, writeJsonAtomic } from './args.js';
import { progressReporter } from './progress.js';

/** The shorthand flags and the config field each one sets. */
const SHORTHANDS = {
  steps: 'training.steps',
  batch: 'training.batchSize',
  seed: 'training.seed',
  microBatch: 'training.microBatch',
  replicas: 'training.replicas',
  checkpointLayers: 'training.checkpointLayers',
  clipNorm: 'training.clipNorm',
  checkpointEvery: 'training.checkpointEvery',
  keep: 'training.keep',
  lr: 'schedule.lr',
  warmup: 'schedule.warmupSteps',
  schedule: 'schedule.kind',
} as const;

export type PretrainCliOptions = { [K in keyof typeof SHORTHANDS]?: string | number | boolean } & {
  preset?: string;
  config?: string;
  set?: string[];
  dropRate?: number;
  data?: string;
  workers?: number;
  out: string;
  resume: boolean;
  overwrite: boolean;
  allowChanges: boolean;
  quiet: boolean;
  backend: BackendChoice;
};

/** The options that pick an experiment config (`--resume` with `--out`: the run's saved one is the base). */
export type ExperimentCliOptions = Pick<PretrainCliOptions, 'preset' | 'config' | 'set' | 'dropRate' | 'data' | keyof typeof SHORTHANDS> & {
  out?: string;
  resume?: boolean;
};

/** Reads an experiment config file (JSON), validating it. */
export async function readExperimentFile(file: string): Promise<ExperimentInput> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new Error(`--config ${file}: ${(e as Error).message}`, { cause: e });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`--config ${file}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
  validateExperiment(raw, file);
  return raw as ExperimentInput;
}

/** The `--set` overrides the shorthand flags stand for (only the flags given). */
function shorthandOverrides(o: ExperimentCliOptions, base: ExperimentInput): string[] {
  const sets: string[] = [];
  for (const [flag, field] of Object.entries(SHORTHANDS) as Array<[keyof typeof SHORTHANDS, string]>) {
    if (o[flag] !== undefined) sets.push(`${field}=${typeof o[flag] === 'string' ? JSON.stringify(o[flag]) : o[flag]}`);
  }
  if (o.dropRate !== undefined) {
    // DropToken on video and waveform audio; the spectrogram audio model has none (docs/numerics.md §4).
    const keep = o.dropRate > 0 ? 1 - o.dropRate : null;
    sets.push(`model.video.dropTokenKeepRate=${keep}`);
    if (!base.preprocessing.audio.spectrogram) sets.push(`model.audio.dropTokenKeepRate=${keep}`);
  }
  return sets;
}

/** What the run in `outDir` was started with, when it has a checkpoint. */
async function savedRun(outDir: string): Promise<PretrainState['run'] | undefined> {
  const latest = await new CheckpointManager(path.join(outDir, 'checkpoints')).latest();
  if (!latest) return undefined;
  return (await readCheckpointInfo<unknown, unknown, PretrainState>(latest.path)).training?.run;
}

/** The experiment the command line asks for (see the file comment), and the data source. */
export async function experimentFromCli(o: ExperimentCliOptions): Promise<{ config: ExperimentConfig; data: string; source: string }> {
  if (o.preset !== undefined && o.config !== undefined) throw new Error('give --preset or --config, not both');
  if (o.preset !== undefined && !isPresetName(o.preset)) throw new Error(`--preset must be one of ${PRESET_NAMES.join(', ')}, got "${o.preset}"`);
  const saved = o.resume && o.out !== undefined ? await savedRun(o.out) : undefined;
  let base: ExperimentInput;
  let source: string;
  if (o.config !== undefined) [base, source] = [await readExperimentFile(o.config), o.config];
  else if (o.preset !== undefined) [base, source] = [getExperiment(o.preset as (typeof PRESET_NAMES)[number]), `preset ${o.preset}`];
  else if (saved) [base, source] = [saved.experiment, `the run in ${o.out}`];
  else [base, source] = [getExperiment('tiny'), 'preset tiny'];
  const config = applyOverrides(base, [...(o.set ?? []), ...shorthandOverrides(o, base)], source);
  return { config, data: o.data ?? saved?.data ?? 'embedded', source };
}

/** Training progress: a bar on a terminal, else a JSON line every ~5% of the steps (and step 1, the last, any skipped). */
function stepReporter(total: number, quiet: boolean) {
  const every = Math.max(1, Math.round(total / 20));
  const round = (x: number | undefined) => (x === undefined ? undefined : +x.toFixed(5));
  return progressReporter<StepRecord>({
    quiet,
    format: 'pretrain |{bar}| {value}/{total} steps | loss {loss} | {sps} steps/s | eta {eta_formatted}',
    position: (r) => ({ done: r.step, total, fields: { loss: r.loss.toFixed(4), sps: r.stepsPerSec.toFixed(2) } }),
    when: (r) => r.step % every === 0 || r.step === total || Boolean(r.skipped) || r.step === 1,
    line: (r) =>
      JSON.stringify({
        ...{ step: r.step, loss: round(r.loss), lossVa: round(r.metrics.lossVa), lossVt: round(r.metrics.lossVt), lr: r.lr },
        ...{ steps_per_s: +r.stepsPerSec.toFixed(2), tensors: r.tensors, ...(r.skipped ? { skipped: r.reason } : {}) },
      }),
  });
}

/** Trains the experiment the options describe; prints progress unless quiet. */
async function runPretrain(o: PretrainCliOptions): Promise<PretrainResult> {
  const { config, data: dataSpec, source } = await experimentFromCli(o);
  let data: PretrainData = 'embedded';
  if (dataSpec !== 'embedded') {
    const s = await readSource(dataSpec);
    data = s.shards ? { shards: s.shards, vocabulary: s.vocabulary, workers: o.workers } : { samples: s.samples, workers: o.workers };
    if (!o.quiet) out(`data: ${s.kind}: ${s.description}${s.shards ? '' : `, ${s.samples.length} samples`}`);
  }
  const progress = stepReporter(config.training.steps, o.quiet);
  const t0 = Date.now();
  const skippedSamples = new Map<string, number>();
  const result = await pretrain(
    { config, data, dataSource: dataSpec, outDir: o.out, resume: o.resume, overwrite: o.overwrite, allowChanges: o.allowChanges },
    {
      onStep: progress.update,
      onSkip: (id, reason) => {
        // Each bad sample is reported once; it is met again every epoch.
        const seen = skippedSamples.get(id) ?? 0;
        skippedSamples.set(id, seen + 1);
        if (!o.quiet && !seen) process.stderr.write(`skipped sample ${id}: ${reason}\n`);
      },
      onStart: ({ model, startStep, resumedFrom, trainingClips, vocabSize }) => {
        if (o.quiet) return;
        const params = `${(model.countParams(true) / 1e6).toFixed(3)} M trainable parameters`;
        out(
          `model: ${source} (${model.config.variant}), ${params}; vocabulary of ${vocabSize} words${trainingClips ? `; ${trainingClips} training clips` : ''}`,
        );
        if (resumedFrom) out(`resuming from ${resumedFrom} at step ${startStep}`);
      },
    },
  );
  progress.stop();
  const skipped = result.history.filter((r) => r.skipped).length;
  if (!o.quiet && !result.history.length)
    out(`nothing to train: the run in ${o.out} is complete (${config.training.steps} steps); checkpoint: ${result.lastCheckpoint}`);
  else if (!o.quiet) {
    const notes = [skipped ? `${skipped} skipped (non-finite)` : '', skippedSamples.size ? `${skippedSamples.size} bad samples skipped` : ''].filter(Boolean);
    const took = ((Date.now() - t0) / 1000).toFixed(1);
    out(`trained ${result.history.length} steps in ${took} s${notes.length ? `, ${notes.join(', ')}` : ''}; checkpoint: ${result.lastCheckpoint}`);
  }
  return result;
}

export async function commandPretrain(o: PretrainCliOptions): Promise<void> {
  const b = await setupBackend(o.backend);
  if (!o.quiet) out(`backend: ${b.name} (${b.detail})`);
  const result = await runPretrain(o);
  result.model.dispose();
}

/** The main job: the tiny preset as it is (steps and seed aside) on the embedded data, then held-out retrieval. */
export async function commandMain(o: { steps?: number; seed?: number; out: string; backend: BackendChoice }): Promise<void> {
  const t0 = Date.now();
  const b = await setupBackend(o.backend);
  out(`backend: ${b.name} (${b.detail})`);
  // The main job starts afresh in its run directory every time.
  const result = await runPretrain({
    preset: 'tiny',
    steps: o.steps,
    seed: o.seed,
    out: o.out,
    resume: false,
    overwrite: true,
    allowChanges: false,
    quiet: false,
    backend: o.backend,
  });
  const heldout = embeddedSplits(result.preprocessor.config, result.experiment.training.seed).heldout;
  const report = await zeroShotRetrieval(result.model, result.preprocessor, heldout);
  out('');
  out(formatZeroShot(report));
  const r1 = report.textToVideo.R1;
  const ratio = r1 / report.textToVideo.chance.R1;
  out('');
  const chance = `${(100 * report.textToVideo.chance.R1).toFixed(1)}%`;
  const took = ((Date.now() - t0) / 1000).toFixed(0);
  out(`held-out text->video R@1 = ${(100 * r1).toFixed(1)}% = ${ratio.toFixed(1)}x chance (${chance}); total wall time ${took} s`);
  await writeJsonAtomic(path.join(o.out, 'retrieval.json'), report);
  result.model.dispose();
}

const collect = (v: string, all: string[] = []) => [...all, v];

export function registerPretrainCommands(program: Command): void {
  program
    .command('main')
    .description('pretrain the tiny preset on the embedded dataset, then print held-out retrieval metrics next to chance')
    .option('--steps <n>', "training steps (default: the tiny preset's, 400)", int('--steps', 1))
    .option('--seed <n>', 'random seed (default 0)', int('--seed'))
    .option('--out <dir>', 'run directory (started afresh)', 'runs/main')
    .addOption(backendOption())
    .action(commandMain);

  const fromConfig = "(default: the config's)";
  program
    .command('pretrain')
    .description('contrastive pretraining: NCE(video, audio) + MIL-NCE(video, K captions), from a preset or an experiment config')
    .option('--preset <name>', `experiment preset: ${PRESET_NAMES.join(' | ')} (default tiny; with --resume, the run's own)`)
    .option('--config <file.json>', 'experiment config file (model, preprocessing, optimizer, schedule, training); `vatt config <preset>` prints one')
    .option('--set <key=value>', 'change a config field, e.g. --set training.steps=100 --set preprocessing.video.height=64 (repeatable)', collect)
    .option(
      '--data <source>',
      'embedded (default), a JSONL manifest / dataset directory, or shards from `vatt prepare` (a folder, a brace pattern, a URL); ' +
        "with --resume, the run's own",
    )
    .option('--workers <n>', 'data loader worker threads (default: cores - 1, shards: cores, at most 4)', int('--workers', 0))
    .option('--steps <n>', `training steps ${fromConfig}`, int('--steps', 1))
    .option('--batch <n>', `batch size ${fromConfig}`, int('--batch', 2))
    .option('--lr <x>', `peak learning rate ${fromConfig}`, float('--lr', 0))
    .option('--warmup <n>', `warmup steps ${fromConfig}`, int('--warmup'))
    .addOption(new Option('--schedule <kind>', `learning-rate schedule ${fromConfig}`).choices(SCHEDULE_KINDS))
    .option('--drop-rate <x>', `DropToken rate for video and waveform audio, 0 disables ${fromConfig}`, float('--drop-rate', 0, 0.99))
    .option(
      '--micro-batch <n>',
      'clips per forward/backward pass (>= 2; BatchNorm statistics are per micro-batch, so larger is steadier); ' +
        'the loss still uses the whole batch (saves memory)',
      int('--micro-batch', 2),
    )
    .option('--checkpoint-layers', 'recompute each Transformer layer in the backward pass: far less memory, ~1.3x compute')
    .option('--replicas <n>', 'data parallel: worker threads with one model replica each (wasm uses one core per replica)', int('--replicas', 1))
    .option('--clip-norm <x>', `global-norm gradient clipping, 0 = off ${fromConfig}`, float('--clip-norm', 0))
    .option('--seed <n>', `random seed ${fromConfig}`, int('--seed'))
    .option('--out <dir>', 'run directory (checkpoints, log.jsonl)', 'runs/pretrain')
    .option('--checkpoint-every <n>', `steps between checkpoints ${fromConfig}`, int('--checkpoint-every', 1))
    .option('--keep <n>', `checkpoints to keep ${fromConfig}`, int('--keep', 1))
    .option('--resume', 'continue the run in --out from its newest complete checkpoint', false)
    .option('--overwrite', 'start afresh in an --out that holds another run (deletes its checkpoints)', false)
    .option('--allow-changes', 'with --resume: continue even though the config or data differ from the saved run', false)
    .option('--quiet', 'no progress output', false)
    .addOption(backendOption())
    .action(commandPretrain);

  program
    .command('config <preset>')
    .description("print a preset's experiment config as JSON (a starting point for `vatt pretrain --config`)")
    .option('--set <key=value>', 'change a field first (repeatable)', collect)
    .action((name: string, o: { set?: string[] }) => {
      if (!isPresetName(name)) throw new Error(`unknown preset "${name}", expected one of ${PRESET_NAMES.join(', ')}`);
      out(JSON.stringify(applyOverrides(getExperiment(name), o.set ?? [], `preset ${name}`), null, 2));
    });
}
