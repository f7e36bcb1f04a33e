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
import { VATT } from '../model/vatt.js';
import type { ClipDataset } from '../data/clips.js';
import { learningRateAt, type ScheduleConfig } from './schedule.js';
import { Trainer, type StepResult } from './trainer.js';

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
  const perm = seededPermutation(numClips, (seed * 100003 + epoch * 7919 + 17) >>> 0);
  return { indices: Array.from(perm.subarray(offset, offset + batchSize)), epoch };
}

function seededPermutation(n: number, seed: number): Int32Array {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** Builds the tokenised batch for `indices` (tensors owned by the caller). */
export function makePretrainBatch(pre: VattPreprocessor, data: ClipDataset, indices: readonly number[]) {
  const clips = indices.map((i) => data.clip(i));
  const k = pre.config.text.numCandidates;
  const captions: string[] = [];
  for (const c of clips) {
    if (c.captions.length < 1) throw new Error(`pretrain: clip ${c.id} has no captions`);
    for (let l = 0; l < k; l++) captions.push(c.captions[l % c.captions.length]);
  }
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

/** Runs (or resumes) pretraining on `data`; writes checkpoints and `log.jsonl` under `opts.outDir`. */
export async function pretrain(opts: PretrainOptions, data: ClipDataset, vocab: readonly string[], events: PretrainEvents = {}): Promise<PretrainResult> {
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
  const trainer = new Trainer({ model, schedule, clipNorm: opts.clipNorm });
  if (ckpt && state) {
    model.loadWeights(ckpt.weights);
    await trainer.restore(state, ckpt.optimizer);
    random.setRandomState(state.randomState);
    tf.dispose([...Object.values(ckpt.weights), ...Object.values(ckpt.optimizer ?? {})]);
  }
  const startStep = trainer.step;
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
    lastCheckpoint = await manager.save(step, { modelConfig, preprocessing, vocab: [...vocab], training, weights: model.namedWeights(), optimizer });
    events.onCheckpoint?.(step, lastCheckpoint);
  };

  model.train();
  try {
    let t0 = Date.now();
    for (let step = startStep; step < opts.steps; step++) {
      const { indices, epoch } = batchIndices(data.size, opts.batchSize, opts.seed, step);
      const batch = makePretrainBatch(preprocessor, data, indices);
      const r = await trainer.trainStep(() => {
        const terms = model.pretrainLoss(batch);
        return { loss: terms.total, metrics: { loss_va: terms.videoAudio, loss_vt: terms.videoText } };
      });
      tf.dispose([batch.videoPatches, batch.audioPatches, batch.textIds]);
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
    await log.close();
    model.eval();
    trainer.dispose();
  }
  return { model, preprocessor, history, lastCheckpoint };
}
