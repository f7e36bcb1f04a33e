/**
 * Contrastive pretraining (docs/numerics.md §7): NCE(video, audio) + MIL-NCE(video, K narrations), Adam,
 * warmup then cosine, DropToken, on the embedded dataset, in-memory clips or a real dataset streamed through
 * @vatt/data's loader (media files, or shards `vatt prepare` wrote). Everything about the run comes from one
 * experiment config; the run loop (train/run.ts) owns checkpoints, logging and exact resume. In-memory data
 * order is a pure function of (seed, step); a loader's position is saved with each checkpoint (its cursor),
 * so a resumed run repeats the uninterrupted one either way.
 */
import * as tf from '@tensorflow/tfjs-core';
import { buildVocabulary } from '@vatt/tokenizers';
import { random } from '@vatt/transformer';
import type { LoaderCursor, Sample, ShardSource } from '@vatt/data';
import type { BackendChoice } from '../backend.js';
import {
  configDifferences,
  configValue,
  resolveModel,
  validateExperiment,
  type ExperimentConfig,
  type PreprocessingConfig,
  type VattConfig,
} from '../config/experiment.js';
import { getExperiment, type PresetName } from '../config/presets.js';
import type { ClipDataset } from '../data/clips.js';
import { embeddedSplits } from '../data/embedded.js';
import { batchIndices } from '../data/order.js';
import { loaderBatches, pretrainBatchFromLoader, shardCaptions, type LoaderInput } from '../data/sources.js';
import { VattPreprocessor } from '../model/preprocess.js';
import { VATT, type PretrainBatch } from '../model/vatt.js';
import { ReplicaPool } from '../parallel/pool.js';
import { VATT_PRETRAIN_REPLICA } from '../parallel/vatt-replica.js';
import { pretrainGradients } from './pretrain-gradients.js';
import { TrainingRun, type StepRecord, type TrainingState } from './run.js';
import type { ScheduleConfig } from './schedule.js';
import { Trainer } from './trainer.js';

/**
 * What training reads: the embedded dataset (generated at the config's size), in-memory clips, samples of a
 * real dataset (media files), or prepared shards (`vocabulary`: the ranked caption words of their `vocab.txt`;
 * without it the captions are read from the shards). `workers`: the loader's worker threads.
 */
export type PretrainData =
  'embedded' | ClipDataset | { samples: readonly Sample[]; workers?: number } | { shards: ShardSource; vocabulary?: readonly string[]; workers?: number };

/** What defines a pretraining run; compared on resume. */
export interface PretrainRun {
  experiment: ExperimentConfig;
  /** The data source as given (`embedded`, a manifest or dataset path). */
  data: string;
}

/** A pretraining checkpoint's training state. */
export type PretrainState = TrainingState<PretrainRun>;

export interface PretrainOptions {
  /** The experiment: a preset name or a config. With `resume`, leave it out to continue with the saved one. */
  config?: PresetName | ExperimentConfig;
  /** Default `embedded`. */
  data?: PretrainData;
  /** What `data` is, stored and compared on resume (default: `embedded`, or `in-memory` / `samples`). */
  dataSource?: string;
  /** The vocabulary (default: the embedded dataset's, or built from the samples' captions; a resumed run keeps its own). */
  vocab?: readonly string[];
  /** Run directory: `checkpoints/` and `log.jsonl`. */
  outDir: string;
  resume?: boolean;
  /** Start afresh in an `outDir` that holds another run, deleting its checkpoints. */
  overwrite?: boolean;
  /** On resume, continue even though the config or data differ from the saved run's. */
  allowChanges?: boolean;
  /** Backend of ReplicaPool workers (default: the current backend). */
  backend?: BackendChoice;
}

export interface PretrainEvents {
  /** Called after each step with the JSON-lines record. */
  onStep?: (record: StepRecord) => void;
  onCheckpoint?: (step: number, dir: string) => void;
  onStart?: (info: {
    model: VATT;
    experiment: ExperimentConfig;
    startStep: number;
    resumedFrom: string | null;
    trainingClips?: number;
    vocabSize: number;
  }) => void;
  /** A sample the data loader could not use (corrupt media, missing audio...): skipped, the run goes on. */
  onSkip?: (id: string, reason: string) => void;
}

export interface PretrainResult {
  model: VATT;
  preprocessor: VattPreprocessor;
  /** The experiment config the run trained (a resumed run's saved one when none was given). */
  experiment: ExperimentConfig;
  history: StepRecord[];
  lastCheckpoint: string | null;
}

/** Fields that may change on resume: they do not change what is computed. */
const FREE_ON_RESUME = new Set(['experiment.training.checkpointEvery', 'experiment.training.keep', 'experiment.training.checkpointLayers']);

/** The differences between a saved run and this one that would change the data order, schedule or numerics. */
export function pretrainRunDifferences(saved: PretrainRun, now: PretrainRun): string[] {
  return configDifferences(saved, now)
    .filter((p) => !FREE_ON_RESUME.has(p))
    .map((p) => {
      const at = (r: PretrainRun) => JSON.stringify(configValue(r, p));
      const why = p === 'experiment.training.steps' ? ' (the learning-rate schedule spans the steps: a longer run is a new schedule)' : '';
      return `${p.replace(/^experiment\./, '')}: ${at(now)} now, ${at(saved)} in the run${why}`;
    });
}

/** The learning-rate schedule of a config. */
export function scheduleOf(c: ExperimentConfig): ScheduleConfig {
  return {
    kind: c.schedule.kind,
    baseLr: c.schedule.lr,
    endLr: c.schedule.lr * c.schedule.endLrFraction,
    warmupSteps: Math.min(c.schedule.warmupSteps, c.training.steps),
    totalSteps: c.training.steps,
  };
}

function describeData(data: PretrainData): string {
  return data === 'embedded' ? 'embedded' : 'samples' in data ? 'samples' : 'shards' in data ? 'shards' : 'in-memory';
}

/** The clips (in memory) or loader input to train on at `pre`'s size, and the vocabulary. */
async function trainingData(
  data: PretrainData,
  pre: PreprocessingConfig,
  config: ExperimentConfig,
  vocab: readonly string[] | undefined,
): Promise<{ clips?: ClipDataset; loader?: { input: LoaderInput; workers?: number }; vocab: readonly string[] }> {
  if (data === 'embedded') {
    const splits = embeddedSplits(pre, config.training.seed);
    return { clips: splits.train, vocab: vocab ?? splits.vocab };
  }
  const maxSize = config.model.text.vocabSize ?? 65536;
  if ('samples' in data) {
    const captions = data.samples.flatMap((s) => (s.captions ?? []).map((c) => (typeof c === 'string' ? c : c.text)));
    return { loader: { input: data.samples, workers: data.workers }, vocab: vocab ?? [...buildVocabulary(captions, { maxSize }).words] };
  }
  if ('shards' in data) {
    // The ranked words of all captions, cut to the model's size: what buildVocabulary gives with maxSize.
    const words = vocab ?? (data.vocabulary ? data.vocabulary.slice(0, maxSize) : buildVocabulary(await shardCaptions(data.shards), { maxSize }).words);
    return { loader: { input: data.shards, workers: data.workers }, vocab: words };
  }
  if (!vocab) throw new Error('pretrain: in-memory clips need a vocabulary (options.vocab)');
  return { clips: data, vocab };
}

/** Builds the tokenised batch for `indices` of `data` (tensors owned by the caller). */
export function makePretrainBatch(pre: VattPreprocessor, data: ClipDataset, indices: readonly number[]): PretrainBatch {
  const clips = indices.map((i) => data.clip(i));
  for (const c of clips) if (c.captions.length < 1) throw new Error(`pretrain: clip ${c.id} has no captions`);
  return pre.pretrainBatch(clips);
}

/**
 * Runs (or resumes) pretraining; writes checkpoints and `log.jsonl` under `opts.outDir`.
 *
 * @example
 * const { model, history } = await pretrain({ config: 'tiny', outDir: 'runs/a' });
 */
export async function pretrain(opts: PretrainOptions, events: PretrainEvents = {}): Promise<PretrainResult> {
  const requested = opts.config === undefined ? undefined : typeof opts.config === 'string' ? getExperiment(opts.config) : validateExperiment(opts.config);
  if (!requested && !opts.resume) throw new Error('pretrain: give a config (a preset name or an experiment config)');
  const run = await TrainingRun.open<PretrainRun>({ outDir: opts.outDir, resume: opts.resume, overwrite: opts.overwrite });
  const saved = run.state?.run;
  const config = requested ?? saved!.experiment;
  const data = opts.data ?? 'embedded';
  const now: PretrainRun = { experiment: config, data: opts.dataSource ?? describeData(data) };
  // A resumed run keeps the model, preprocessing and vocabulary it was started with.
  const modelConfig = (run.resumed?.modelConfig as VattConfig | undefined) ?? resolveModel(config);
  const preprocessing = (run.resumed?.preprocessing as PreprocessingConfig | undefined) ?? config.preprocessing;
  const t = config.training;
  const source = await trainingData(data, preprocessing, config, run.resumed?.vocab ?? opts.vocab);
  random.setSeed(t.seed);
  const model = new VATT(modelConfig);
  const preprocessor = new VattPreprocessor(preprocessing, source.vocab);
  if (t.checkpointLayers) model.setCheckpointing(true);
  const trainer = new Trainer({ model, schedule: scheduleOf(config), clipNorm: t.clipNorm, adam: config.optimizer });
  let pool: ReplicaPool | null = null;
  let stream: ReturnType<typeof loaderBatches> | null = null;
  try {
    await run.restore(model, trainer, { run: now, differences: pretrainRunDifferences, allowChanges: opts.allowChanges });
    if (t.replicas > 1) {
      pool = await ReplicaPool.create({
        workers: t.replicas,
        backend: opts.backend ?? (tf.getBackend() as BackendChoice),
        replica: { module: VATT_PRETRAIN_REPLICA, args: { config: modelConfig, checkpointLayers: t.checkpointLayers } },
        weights: model,
      });
    }
    const startStep = trainer.step;
    if (source.loader) {
      const cursor = run.state?.dataCursor as LoaderCursor | undefined;
      if (startStep > 0 && !cursor && !opts.allowChanges) {
        throw new Error(
          `pretrain: the checkpoint in ${opts.outDir} has no data loader position (an older run), so the resumed data order would differ; ` +
            'pass allowChanges (--allow-changes) to go on from the start of the data',
        );
      }
      stream = loaderBatches(source.loader.input, preprocessing, {
        batchSize: t.batchSize,
        seed: t.seed,
        cursor,
        workers: source.loader.workers,
        onSkip: (id, reason) => events.onSkip?.(id, reason),
      });
    }
    events.onStart?.({ model, experiment: config, startStep, resumedFrom: run.resumedFrom, trainingClips: source.clips?.size, vocabSize: source.vocab.length });
    const nextBatch = async (step: number) => {
      if (stream) {
        const n = await stream.next();
        if (n.done) throw new Error('pretrain: the data stream ended');
        return { batch: pretrainBatchFromLoader(preprocessor, n.value.batch), epoch: n.value.epoch, dataCursor: n.value.cursor };
      }
      const { indices, epoch } = batchIndices(source.clips!.size, t.batchSize, t.seed, step);
      return { batch: makePretrainBatch(preprocessor, source.clips!, indices), epoch, dataCursor: undefined };
    };
    model.train();
    const { history, lastCheckpoint } = await run.loop({
      steps: t.steps,
      checkpointEvery: t.checkpointEvery,
      keep: t.keep,
      model,
      trainer,
      seed: t.seed,
      run: now,
      saved: () => ({ modelConfig, preprocessing, vocab: [...source.vocab] }),
      onStep: events.onStep,
      onCheckpoint: events.onCheckpoint,
      step: async (step) => {
        const { batch, epoch, dataCursor } = await nextBatch(step);
        try {
          const result = await trainer.stepWith(() => pretrainGradients(model, batch, { microBatch: t.microBatch, pool }));
          if (pool) await pool.setWeights(model);
          return { result, epoch, dataCursor };
        } finally {
          tf.dispose([batch.videoPatches, batch.audioPatches, batch.textIds, ...(batch.textMask ? [batch.textMask] : [])]);
        }
      },
    });
    return { model, preprocessor, experiment: config, history, lastCheckpoint };
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    await stream?.return(undefined);
    await pool?.close();
    model.eval();
    trainer.dispose();
  }
}
