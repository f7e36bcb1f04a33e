/**
 * Contrastive pretraining (vatt-spec.md section 7): NCE(video, audio) + MIL-NCE(video, K narrations),
 * Adam, linear warmup then cosine, optional clipping, NaN guard, DropToken, checkpoints every N steps,
 * exact resume. Data order is a pure function of (seed, step) and every random draw of the model comes
 * from one seeded stream whose state is checkpointed, so a resumed run repeats the uninterrupted one.
 */
import * as tf from '@tensorflow/tfjs-core';
import { random } from '@vatt/transformer';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CheckpointManager, loadCheckpoint } from '../checkpoint/checkpoint.js';
import { getPreset, type PreprocessingConfig, type PresetName, type VattConfig } from '../model/config.js';
import { VattPreprocessor } from '../model/preprocess.js';
import { VATT, type PretrainBatch } from '../model/vatt.js';
import { candidateCaptions, type ClipDataset } from '../data/clips.js';
import { epochOrder } from '../data/order.js';
import { loaderBatches, pretrainBatchFromLoader } from '../data/sources.js';
import type { Sample } from '@vatt/data';
import { learningRateAt, type ScheduleConfig } from './schedule.js';
import { Trainer, type StepResult } from './trainer.js';
import { chunkedPretrainGrads } from './grad-cache.js';
import { ReplicaPool } from '../parallel/pool.js';
import { replicatedPretrainGrads } from '../parallel/pretrain.js';
import { VATT_PRETRAIN_REPLICA } from '../parallel/vatt-replica.js';
import type { BackendChoice } from '../backend.js';

export interface PretrainOptions {
  preset: PresetName;
  steps: number;
  batchSize: number;
  lr: number;
  warmup: number;
  schedule: ScheduleConfig['kind'];
  endLrFraction?: number;
  /** DropToken rate for video and audio (0 disables). */
  dropRate: number;
  /**
   * Clips per forward/backward pass; the loss still sees the whole batch as negatives (gradient cache,
   * train/grad-cache.ts). Bounds activation memory (the wasm heap stops at 4 GiB). Default: the batch.
   */
  microBatch?: number;
  /**
   * Data parallelism: this many worker_threads, each with its own backend and a replica of the model
   * (wasm runs one thread per backend in Node, so this is how training uses every core). The batch is
   * split across them and the loss still sees all of it (parallel/pretrain.ts). Default 1: no workers.
   */
  replicas?: number;
  /** Activation checkpointing of the Transformer layers (`VATT.setCheckpointing`): less memory, ~1.3x compute. */
  checkpointLayers?: boolean;
  clipNorm: number;
  seed: number;
  outDir: string;
  checkpointEvery: number;
  keep: number;
  resume: boolean;
  /** Overrides of the preset's model config. */
  modelOverrides?: Partial<VattConfig>;
}

export interface TrainingState {
  step: number;
  skippedSteps: number;
  seed: number;
  randomState: number;
  options: Omit<PretrainOptions, 'resume' | 'modelOverrides'>;
}

export interface PretrainEvents {
  /** Called after each step with the JSON-lines record. */
  onStep?: (record: StepRecord) => void;
  onCheckpoint?: (step: number, dir: string) => void;
  onStart?: (info: { model: VATT; startStep: number; resumedFrom: string | null }) => void;
  /** A sample the data loader could not use (corrupt media, missing audio...): skipped, the run goes on. */
  onSkip?: (id: string, reason: string) => void;
}

export interface StepRecord extends StepResult {
  stepsPerSec: number;
  tensors: number;
  epoch: number;
}

export interface PretrainResult {
  model: VATT;
  preprocessor: VattPreprocessor;
  history: StepRecord[];
  lastCheckpoint: string | null;
}

/** Indices of the clips in batch `step` (a fresh seeded permutation each epoch). */
export function batchIndices(numClips: number, batchSize: number, seed: number, step: number): { indices: number[]; epoch: number } {
  if (batchSize > numClips) throw new Error(`pretrain: batch size ${batchSize} exceeds the ${numClips} training clips`);
  const perEpoch = Math.floor(numClips / batchSize);
  const epoch = Math.floor(step / perEpoch);
  const offset = (step % perEpoch) * batchSize;
  const perm = epochOrder(numClips, seed, epoch);
  return { indices: Array.from(perm.subarray(offset, offset + batchSize)), epoch };
}

/** Builds the tokenised batch for `indices` (tensors owned by the caller). */
export function makePretrainBatch(pre: VattPreprocessor, data: ClipDataset, indices: readonly number[]): PretrainBatch {
  const clips = indices.map((i) => data.clip(i));
  for (const c of clips) if (c.captions.length < 1) throw new Error(`pretrain: clip ${c.id} has no captions`);
  const captions = candidateCaptions(
    clips.map((c) => c.captions),
    pre.config.text.numCandidates,
  );
  const { patches, grid } = pre.videoPatches(clips.map((c) => c.video));
  return {
    videoPatches: patches,
    videoGrid: grid,
    audioPatches: pre.audioPatches(clips.map((c) => c.audio)),
    textIds: pre.textIds(captions),
  };
}

function applyDropRate(cfg: VattConfig, dropRate: number): VattConfig {
  if (!(dropRate >= 0 && dropRate < 1)) throw new Error(`pretrain: drop rate must be in [0, 1), got ${dropRate}`);
  const keep = dropRate > 0 ? 1 - dropRate : null;
  // The spectrogram audio model has no DropToken (official 2-D model), the waveform model does.
  const waveform = 'samples' in cfg.audio.input;
  return { ...cfg, video: { ...cfg.video, dropTokenKeepRate: keep }, audio: { ...cfg.audio, dropTokenKeepRate: waveform ? keep : null } };
}

/** In-memory clips (the embedded dataset), or samples of a real dataset streamed through @vatt/data's loader. */
export type PretrainData = ClipDataset | { samples: readonly Sample[]; workers?: number };

/** Runs (or resumes) pretraining on `data`; writes checkpoints and `log.jsonl` under `opts.outDir`. */
export async function pretrain(opts: PretrainOptions, data: PretrainData, vocab: readonly string[], events: PretrainEvents = {}): Promise<PretrainResult> {
  if (!(opts.steps >= 1)) throw new Error(`pretrain: steps must be >= 1, got ${opts.steps}`);
  await fs.mkdir(opts.outDir, { recursive: true });
  const manager = new CheckpointManager(path.join(opts.outDir, 'checkpoints'), opts.keep);
  const latest = opts.resume ? await manager.latest() : null;
  if (opts.resume && !latest) throw new Error(`pretrain --resume: no complete checkpoint in ${manager.dir}`);

  let modelConfig: VattConfig;
  let preprocessing: PreprocessingConfig;
  let state: TrainingState | undefined;
  let ckpt: Awaited<ReturnType<typeof loadCheckpoint<VattConfig, PreprocessingConfig, TrainingState>>> | undefined;
  if (latest) {
    ckpt = await loadCheckpoint<VattConfig, PreprocessingConfig, TrainingState>(latest.path);
    modelConfig = ckpt.modelConfig;
    preprocessing = ckpt.preprocessing;
    state = ckpt.training;
    if (!state) throw new Error(`pretrain --resume: ${latest.path} holds no training state`);
    vocab = ckpt.vocab ?? vocab;
  } else {
    const p = getPreset(opts.preset);
    modelConfig = applyDropRate({ ...p.model, ...opts.modelOverrides }, opts.dropRate);
    preprocessing = p.preprocessing;
  }
  random.setSeed(opts.seed);
  const model = new VATT(modelConfig);
  const preprocessor = new VattPreprocessor(preprocessing, vocab);
  const schedule: ScheduleConfig = {
    kind: opts.schedule,
    baseLr: opts.lr,
    endLr: opts.lr * (opts.endLrFraction ?? 0.5),
    warmupSteps: Math.min(opts.warmup, opts.steps),
    totalSteps: opts.steps,
  };
  learningRateAt(schedule, 0); // validates
  if (opts.checkpointLayers) model.setCheckpointing(true);
  const trainer = new Trainer({ model, schedule, clipNorm: opts.clipNorm });
  if (ckpt && state) {
    model.loadWeights(ckpt.weights);
    await trainer.restore(state, ckpt.optimizer);
    random.setRandomState(state.randomState);
    tf.dispose([...Object.values(ckpt.weights), ...Object.values(ckpt.optimizer ?? {})]);
  }
  const startStep = trainer.step;
  const replicas = opts.replicas ?? 1;
  if (!(Number.isInteger(replicas) && replicas >= 1)) throw new Error(`pretrain: replicas must be an integer >= 1, got ${replicas}`);
  const pool =
    replicas > 1
      ? await ReplicaPool.create({
          workers: replicas,
          backend: tf.getBackend() as BackendChoice,
          replica: { module: VATT_PRETRAIN_REPLICA, args: { config: modelConfig, checkpointLayers: opts.checkpointLayers } },
          weights: model,
        })
      : null;
  events.onStart?.({ model, startStep, resumedFrom: latest?.path ?? null });
  const logPath = path.join(opts.outDir, 'log.jsonl');
  const log = await fs.open(logPath, 'a');
  if (latest) await log.write(`${JSON.stringify({ event: 'resume', from: latest.path, step: startStep })}\n`);
  const history: StepRecord[] = [];
  let lastCheckpoint: string | null = latest?.path ?? null;
  const { resume: _r, modelOverrides: _m, ...savedOptions } = opts;

  const saveAt = async (step: number) => {
    const optimizer = await trainer.optimizerWeights();
    const training: TrainingState = { step, skippedSteps: trainer.skippedSteps, seed: opts.seed, randomState: random.getRandomState(), options: savedOptions };
    try {
      lastCheckpoint = await manager.save(step, { modelConfig, preprocessing, vocab: [...vocab], training, weights: model.namedWeights(), optimizer });
    } finally {
      optimizer.iter?.dispose(); // a fresh scalar from tfjs's getWeights; the rest are live variables
    }
    events.onCheckpoint?.(step, lastCheckpoint);
  };

  const stream =
    'samples' in data
      ? loaderBatches(data.samples, preprocessing, {
          batchSize: opts.batchSize,
          seed: opts.seed,
          startStep,
          workers: data.workers,
          onSkip: (id, reason) => events.onSkip?.(id, reason),
        })
      : null;
  const nextBatch = async (step: number) => {
    if (stream) {
      const n = await stream.next();
      if (n.done) throw new Error('pretrain: the data stream ended');
      return { batch: pretrainBatchFromLoader(preprocessor, n.value.batch), epoch: n.value.epoch };
    }
    const clips = data as ClipDataset;
    const { indices, epoch } = batchIndices(clips.size, opts.batchSize, opts.seed, step);
    return { batch: makePretrainBatch(preprocessor, clips, indices), epoch };
  };
  model.train();
  try {
    let t0 = Date.now();
    for (let step = startStep; step < opts.steps; step++) {
      const { batch, epoch } = await nextBatch(step);
      const r = pool
        ? await trainer.stepWith(() => replicatedPretrainGrads(pool, model, batch, { microBatch: opts.microBatch }))
        : opts.microBatch && opts.microBatch < opts.batchSize
          ? await trainer.stepWith((vars) => chunkedPretrainGrads(model, batch, opts.microBatch!, vars))
          : await trainer.trainStep(() => {
              const terms = model.pretrainLoss(batch);
              return { loss: terms.total, metrics: { loss_va: terms.videoAudio, loss_vt: terms.videoText } };
            });
      tf.dispose([batch.videoPatches, batch.audioPatches, batch.textIds, ...(batch.textMask ? [batch.textMask] : [])]);
      if (pool) await pool.setWeights(model);
      const now = Date.now();
      const record: StepRecord = { ...r, epoch, stepsPerSec: 1000 / Math.max(1, now - t0), tensors: tf.memory().numTensors };
      t0 = now;
      history.push(record);
      await log.write(`${JSON.stringify(record)}\n`);
      events.onStep?.(record);
      const done = step + 1;
      if (done % opts.checkpointEvery === 0 || done === opts.steps) await saveAt(done);
    }
  } finally {
    await stream?.return(undefined);
    await pool?.close();
    await log.close();
    model.eval();
    trainer.dispose();
  }
  return { model, preprocessor, history, lastCheckpoint };
}
