/**
 * A `file://` tf.io handler on Node's `fs` (pure tfjs has none; tfjs-node's needs libtensorflow).
 *
 * Layout of a saved directory: `model.json` (tf.io's ModelJSON: modelTopology, weightsManifest,
 * userDefinedMetadata) and binary shards `group1-shardNofM.bin`. Saving is atomic: everything is written
 * into a temporary sibling directory, flushed, then renamed over the target, so a reader never sees a
 * half-written checkpoint and a crash leaves at most a `*.tmp-*` directory behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { syncDirectory, writeFileSynced } from '../durable-files.js';
import { weightBuffer } from './format.js';

export const MODEL_JSON = 'model.json';
const DEFAULT_SHARD_BYTES = 4 * 1024 * 1024;

/** Writes `artifacts` into directory `dir` atomically (temp dir + rename). */
export async function saveArtifacts(dir: string, artifacts: tf.io.ModelArtifacts, shardBytes = DEFAULT_SHARD_BYTES): Promise<tf.io.SaveResult> {
  const target = path.resolve(dir);
  await fs.mkdir(path.dirname(target), { recursive: true });
  const data = new Uint8Array(weightBuffer(artifacts.weightData));
  const tmp = `${target}.tmp-${process.pid}-${Date.now().toString(36)}`;
  await fs.mkdir(tmp, { recursive: true });
  try {
    const nShards = Math.max(1, Math.ceil(data.byteLength / shardBytes));
    const paths: string[] = [];
    for (let i = 0; i < nShards; i++) {
      const name = `group1-shard${i + 1}of${nShards}.bin`;
      paths.push(name);
      await writeFileSynced(path.join(tmp, name), data.subarray(i * shardBytes, Math.min(data.byteLength, (i + 1) * shardBytes)));
    }
    const modelJson: tf.io.ModelJSON & { weightDataBytes: number } = {
      modelTopology: artifacts.modelTopology ?? {},
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy ?? null,
      weightsManifest: [{ paths, weights: artifacts.weightSpecs ?? [] }],
      userDefinedMetadata: artifacts.userDefinedMetadata,
      weightDataBytes: data.byteLength,
    };
    // Fault injection for the crash-safety test: die like `kill -9` halfway through this save.
    const fault = typeof process !== 'undefined' ? process.env.VATT_FAULT_KILL_DURING_SAVE : undefined;
    if (fault && target.includes(fault)) process.kill(process.pid, 'SIGKILL');
    // model.json last: its presence marks the directory complete.
    await writeFileSynced(path.join(tmp, MODEL_JSON), JSON.stringify(modelJson));
    const old = `${target}.old-${process.pid}-${Date.now().toString(36)}`;
    let hadOld = false;
    try {
      await fs.rename(target, old);
      hadOld = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    await fs.rename(tmp, target);
    await syncDirectory(path.dirname(target));
    if (hadOld) await fs.rm(old, { recursive: true, force: true });
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return {
    modelArtifactsInfo: {
      dateSaved: new Date(),
      modelTopologyType: 'JSON',
      weightDataBytes: data.byteLength,
    },
  };
}

/**
 * The file of weight shard `p` listed in `file`: a relative path that stays inside the checkpoint directory
 * `root` (no absolute path, no `..`, no symbolic link pointing out), so a tampered model.json cannot make us
 * read bytes from elsewhere.
 */
export async function confinedShard(root: string, p: unknown, file: string): Promise<string> {
  if (typeof p !== 'string' || !p || path.isAbsolute(p) || p.split(/[\\/]/).includes('..')) {
    throw new Error(`checkpoint: ${file} lists weight shard ${JSON.stringify(p)}: a shard must be a file name inside the checkpoint directory`);
  }
  const shard = path.join(root, p);
  let real: string;
  try {
    real = await fs.realpath(shard);
  } catch (e) {
    throw new Error(`checkpoint: missing weight shard ${shard} listed in ${file}`, { cause: e });
  }
  const rel = path.relative(root, real);
  if (rel.startsWith('..') || path.isAbsolute(rel))
    throw new Error(`checkpoint: weight shard ${shard} listed in ${file} leads outside the checkpoint directory (to ${real})`);
  return real;
}

/** A checkpoint directory's parsed model.json and its path; errors name the file. */
export async function readModelJson<T = tf.io.ModelJSON>(dir: string): Promise<{ file: string; json: T }> {
  const file = path.join(dir, MODEL_JSON);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new Error(`checkpoint: cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return { file, json: JSON.parse(text) as T };
  } catch (e) {
    throw new Error(`checkpoint: ${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

/** Reads a directory written by `saveArtifacts` (or any tf.io model.json + shards). */
export async function loadArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  const { file, json } = await readModelJson(dir);
  if (!Array.isArray(json.weightsManifest)) throw new Error(`checkpoint: ${file} has no weightsManifest`);
  const buffers: ArrayBuffer[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  const root = await fs.realpath(dir);
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      const shard = await confinedShard(root, p, file);
      let buf: Buffer;
      try {
        buf = await fs.readFile(shard);
      } catch (e) {
        throw new Error(`checkpoint: missing weight shard ${shard} listed in ${file}`, { cause: e });
      }
      buffers.push(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
    }
    specs.push(...group.weights);
  }
  const weightData = tf.io.CompositeArrayBuffer.join(buffers);
  const expected = (json as { weightDataBytes?: number }).weightDataBytes;
  if (expected !== undefined && expected !== weightData.byteLength) {
    throw new Error(`checkpoint: ${dir} holds ${weightData.byteLength} weight bytes, model.json says ${expected} (truncated shard?)`);
  }
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    weightSpecs: specs,
    weightData,
    userDefinedMetadata: json.userDefinedMetadata,
  };
}

/** `tf.io.IOHandler` for a directory path (with or without the `file://` prefix). */
export function fileHandler(url: string): tf.io.IOHandler {
  const dir = url.startsWith('file://') ? url.slice('file://'.length) : url;
  return { save: (a) => saveArtifacts(dir, a), load: () => loadArtifacts(dir) };
}

let registered = false;
/** Registers `file://` URLs with tf.io's routers (idempotent), so `tf.io.getSaveHandlers('file://dir')` works. */
export function registerFileRouter(): void {
  if (registered) return;
  registered = true;
  const router = ((url: string | string[]) => (typeof url === 'string' && url.startsWith('file://') ? fileHandler(url) : null)) as unknown as Parameters<
    typeof tf.io.registerSaveRouter
  >[0];
  tf.io.registerSaveRouter(router);
  tf.io.registerLoadRouter(router);
}
