/**
 * VATT checkpoints: one directory = `model.json` (model config, preprocessing config, vocabulary,
 * training state) + binary weight shards, written through tf.io and the atomic `file://` handler.
 * A checkpoint alone rebuilds the model and its preprocessing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { loadArtifacts, MODEL_JSON, saveArtifacts } from './file-handler.js';

export const CHECKPOINT_FORMAT = 'vatt-checkpoint/1';
const OPT_PREFIX = 'optimizer/';

export interface CheckpointData<Cfg = unknown, Pre = unknown, Train = unknown> {
  /** The model config (enough to rebuild the modules). */
  modelConfig: Cfg;
  /** The preprocessing (tokenizer) config. */
  preprocessing: Pre;
  /** Text vocabulary, line index = id. */
  vocab?: string[];
  /** Training state to resume from (step, random state, data cursor, schedule...). */
  training?: Train;
  /** Model weights by official parameter name. */
  weights: tf.NamedTensorMap;
  /** Optimizer slots by name (saved under `optimizer/`). */
  optimizer?: tf.NamedTensorMap;
}

/** Saves a checkpoint directory atomically. */
export async function saveCheckpoint(dir: string, data: CheckpointData): Promise<void> {
  const all: tf.NamedTensorMap = { ...data.weights };
  for (const [k, v] of Object.entries(data.optimizer ?? {})) all[OPT_PREFIX + k] = v;
  for (const [k, v] of Object.entries(all)) {
    if (v.isDisposed) throw new Error(`saveCheckpoint: weight "${k}" is disposed`);
  }
  const { data: weightData, specs } = await tf.io.encodeWeights(all);
  await saveArtifacts(dir, {
    modelTopology: { class: 'VATT', config: data.modelConfig as object },
    format: CHECKPOINT_FORMAT,
    generatedBy: 'vatt.ts',
    weightSpecs: specs,
    weightData,
    userDefinedMetadata: {
      preprocessing: data.preprocessing as object,
      vocab: (data.vocab ?? null) as unknown as object,
      training: (data.training ?? null) as unknown as object,
    },
  });
}

/** Loads a checkpoint directory. The caller owns (and must dispose) the returned tensors. */
export async function loadCheckpoint<Cfg = unknown, Pre = unknown, Train = unknown>(dir: string): Promise<CheckpointData<Cfg, Pre, Train>> {
  const a = await loadArtifacts(dir);
  if (a.format !== CHECKPOINT_FORMAT) throw new Error(`checkpoint: ${dir} has format "${a.format}", expected "${CHECKPOINT_FORMAT}"`);
  const topo = a.modelTopology as { class?: string; config?: Cfg };
  if (!topo || topo.class !== 'VATT' || !topo.config) throw new Error(`checkpoint: ${dir}/model.json has no VATT model config`);
  const all = tf.io.decodeWeights(a.weightData as ArrayBuffer, a.weightSpecs ?? []);
  const weights: tf.NamedTensorMap = {};
  const optimizer: tf.NamedTensorMap = {};
  for (const [k, v] of Object.entries(all)) {
    if (k.startsWith(OPT_PREFIX)) optimizer[k.slice(OPT_PREFIX.length)] = v;
    else weights[k] = v;
  }
  const meta = (a.userDefinedMetadata ?? {}) as { preprocessing?: Pre; vocab?: string[] | null; training?: Train | null };
  return {
    modelConfig: topo.config,
    preprocessing: meta.preprocessing as Pre,
    vocab: meta.vocab ?? undefined,
    training: meta.training ?? undefined,
    weights,
    optimizer: Object.keys(optimizer).length ? optimizer : undefined,
  };
}

const CKPT_RE = /^ckpt-(\d+)$/;

/** Keeps numbered checkpoints `ckpt-<step>` in one directory, the newest `keep` of them. */
export class CheckpointManager {
  constructor(
    readonly dir: string,
    readonly keep = 3,
  ) {
    if (!(keep >= 1)) throw new Error(`CheckpointManager: keep must be >= 1, got ${keep}`);
  }

  pathFor(step: number): string {
    return path.join(this.dir, `ckpt-${String(step).padStart(8, '0')}`);
  }

  /** Complete checkpoints, oldest first. Half-written (`*.tmp-*`) directories are never listed. */
  async list(): Promise<Array<{ step: number; path: string }>> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: Array<{ step: number; path: string }> = [];
    for (const n of names) {
      const m = CKPT_RE.exec(n);
      if (!m) continue;
      const p = path.join(this.dir, n);
      try {
        await fs.access(path.join(p, MODEL_JSON));
        out.push({ step: Number(m[1]), path: p });
      } catch {
        /* incomplete: ignored */
      }
    }
    return out.sort((a, b) => a.step - b.step);
  }

  /** The newest complete checkpoint, or null. */
  async latest(): Promise<{ step: number; path: string } | null> {
    const all = await this.list();
    return all.length ? all[all.length - 1] : null;
  }

  /** Saves step `step`, then removes older checkpoints beyond `keep` and leftovers of interrupted saves. */
  async save(step: number, data: CheckpointData): Promise<string> {
    const p = this.pathFor(step);
    await saveCheckpoint(p, data);
    const all = await this.list();
    for (const old of all.slice(0, Math.max(0, all.length - this.keep))) await fs.rm(old.path, { recursive: true, force: true });
    for (const n of await fs.readdir(this.dir)) {
      if (/\.(tmp|old)-\d+-/.test(n) && !n.includes(`-${process.pid}-`)) await fs.rm(path.join(this.dir, n), { recursive: true, force: true });
    }
    return p;
  }
}
