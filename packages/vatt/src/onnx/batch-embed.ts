/**
 * Batch embedding of a whole data source into an index folder (Node): streaming (a chunk of samples is
 * decoded, embedded and written before the next is read), batched, resumable (each chunk is one part
 * written atomically; a killed run continues after its last complete part) and written as `.npy` files
 * numpy reads directly.
 *
 * An index folder holds one row per embedded clip, the same order in every file:
 *
 *   video_features.npy, video_va.npy, video_vt.npy   video [AGG] features, S_va, S_vt
 *   audio_features.npy, audio_va.npy, audio_vt.npy   audio (zero rows for clips without a sound track)
 *   text_features.npy, text_vt.npy                   the first caption of each clip (sources with captions)
 *   ids.json                                         per row: id, media paths, caption, label, hasAudio
 *   index.json                                       what was embedded, with which model, skipped samples
 */
import { BatchLoader, type Sample } from '@vatt/data';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { PreprocessingConfig } from '../config/experiment.js';
import type { Clip } from '../data/clips.js';
import { embeddedSplits } from '../data/embedded.js';
import { clipConfigFor, evaluationClips, isShardSpec, readSource } from '../data/sources.js';
import type { Matrix } from '../model/encode.js';
import type { Embedder } from './embedder.js';
import { decodeNpy, encodeNpy } from './npy.js';
import { writeFileAtomic } from '../durable-files.js';

export const INDEX_FORMAT = 'vatt-embeddings/1';
const STATE_FORMAT = 'vatt-embed-state/1';
const PARTS = 'parts';

/** The matrices of an index, in file order. */
export const INDEX_KEYS = ['video_features', 'video_va', 'video_vt', 'audio_features', 'audio_va', 'audio_vt', 'text_features', 'text_vt'] as const;
export type IndexKey = (typeof INDEX_KEYS)[number];

/** One row of an index (ids.json). */
export interface IndexEntry {
  id: string;
  video?: string;
  audio?: string;
  /** The caption embedded as text (the sample's first), when it has one. */
  caption?: string;
  label?: string | number;
  /** False when the file has no sound track (its audio rows are zeros). */
  hasAudio: boolean;
}

/** index.json. */
export interface EmbeddingIndexInfo {
  format: typeof INDEX_FORMAT;
  /** The `--data` source as given, its layout and split. */
  source: { spec: string; kind: string; description: string; split: 'eval' | 'train' };
  /** The model: the checkpoint or ONNX folder, the engine it ran on. */
  model: { source: string; engine: string; description: string };
  count: number;
  /** `[rows, cols]` of each written matrix. */
  files: Partial<Record<IndexKey, [number, number]>>;
  skipped: Array<{ id: string; reason: string }>;
  /** The model's preprocessing (clip length, frame size): how the rows were made. */
  preprocessing: PreprocessingConfig;
  createdAt: string;
}

/** Clips already in memory (decoded elsewhere, generated), embedded as a source of their own. */
export interface InMemorySource {
  clips: readonly Clip[];
  /** Names the source in index.json and in the resume check (default `in-memory`). */
  name?: string;
  description?: string;
}

/** Options of `embedDataset`. */
export interface EmbedDatasetOptions {
  /** The checkpoint or ONNX folder the embedder was opened on, recorded in index.json and checked on resume. */
  modelSource: string;
  /** Clips per forward pass (default 16). */
  batchSize?: number;
  /** Samples per part, the unit of streaming and of resumption (default 64). */
  chunkSize?: number;
  /** Which split of a dataset (`eval`: its evaluation split, default; `train`). A folder of videos has one. */
  split?: 'eval' | 'train';
  /** `spec` = `embedded`: the seed of the embedded dataset (default 0; its held-out clips are embedded). */
  seed?: number;
  /** Decoding worker threads (default: the loader's). */
  workers?: number;
  /** Start again even if `outDir` holds parts of another run. */
  overwrite?: boolean;
  /** Stops after the part in progress (its results are kept; run again to continue). */
  signal?: AbortSignal;
  onProgress?: (p: { done: number; total: number; embedded: number; skipped: number; resumed: number }) => void;
  onSkip?: (id: string, reason: string) => void;
}

interface PartFile {
  entries: IndexEntry[];
  skipped: Array<{ id: string; reason: string }>;
  /** Matrices in `.bin`, in this order. */
  keys: Array<{ key: IndexKey; cols: number }>;
}

const partName = (i: number) => `part-${String(i).padStart(6, '0')}`;

/** Clips that have no sound track, decoded again without audio (video only). */
async function videoOnlyClips(
  samples: readonly Sample[],
  pre: PreprocessingConfig,
  workers?: number,
): Promise<{ clips: Clip[]; skipped: Array<{ id: string; reason: string }> }> {
  const loader = new BatchLoader(samples, { batchSize: 8, clip: { ...clipConfigFor(pre, 'eval'), audio: false }, shuffle: false, workers });
  const clips: Clip[] = [];
  for await (const b of loader) {
    const n = b.ids.length;
    const per = b.video!.length / n;
    for (let i = 0; i < n; i++)
      clips.push({ id: b.ids[i], video: b.video!.slice(i * per, (i + 1) * per), audio: new Float32Array(0), captions: b.captions[i] });
  }
  return { clips, skipped: loader.stats.skipped.map((s) => ({ id: s.id, reason: `${s.code}: ${s.reason}` })) };
}

/** A decoded clip and whether it has sound. */
export interface DecodedClip {
  clip: Clip;
  hasAudio: boolean;
}

/**
 * Decodes samples for embedding, one centred clip each (`evaluationClips`); a file without a sound track is
 * decoded again for its video alone instead of being skipped. Clips come back in the samples' order.
 *
 * @example
 * const { clips } = await decodeForEmbedding([{ id: 'a', video: 'a.mp4' }], embedder.preprocessing);
 */
export async function decodeForEmbedding(
  samples: readonly Sample[],
  pre: PreprocessingConfig,
  opts: { workers?: number } = {},
): Promise<{ clips: DecodedClip[]; skipped: Array<{ id: string; reason: string }> }> {
  const first = await evaluationClips(samples, pre, { workers: opts.workers });
  const silent = first.skipped.filter((s) => s.reason.startsWith('no-audio-stream'));
  const skipped = first.skipped.filter((s) => !s.reason.startsWith('no-audio-stream'));
  let clips: DecodedClip[] = first.clips.map((clip) => ({ clip, hasAudio: true }));
  if (silent.length) {
    const byId = new Map(samples.map((s) => [s.id, s]));
    const retry = await videoOnlyClips(
      silent.map((s) => byId.get(s.id)!),
      pre,
      opts.workers,
    );
    skipped.push(...retry.skipped);
    clips = [...clips, ...retry.clips.map((clip) => ({ clip, hasAudio: false }))];
    const order = new Map(samples.map((s, i) => [s.id, i]));
    clips.sort((a, b) => order.get(a.clip.id)! - order.get(b.clip.id)!);
  }
  return { clips, skipped };
}

function zeros(rows: number, cols: number): Matrix {
  return { data: new Float32Array(rows * cols), rows, cols };
}

/** Rows of `m` scattered to positions `at` of a `rows`-row matrix (zeros elsewhere). */
function scatterRows(m: Matrix, at: readonly number[], rows: number): Matrix {
  const out = zeros(rows, m.cols);
  at.forEach((r, i) => out.data.set(m.data.subarray(i * m.cols, (i + 1) * m.cols), r * m.cols));
  return out;
}

/** Decodes and embeds one chunk of samples. */
async function embedChunk(
  embedder: Embedder,
  samples: readonly Sample[],
  opts: EmbedDatasetOptions,
  inMemory?: ReadonlyMap<string, Clip>,
): Promise<{ part: PartFile; matrices: Partial<Record<IndexKey, Matrix>> }> {
  const byId = new Map(samples.map((s) => [s.id, s]));
  const { clips, skipped } = inMemory
    ? { clips: samples.map((s) => ({ clip: inMemory.get(s.id)!, hasAudio: inMemory.get(s.id)!.audio.length > 0 })), skipped: [] }
    : await decodeForEmbedding(samples, embedder.preprocessing, { workers: opts.workers });
  const n = clips.length;
  const matrices: Partial<Record<IndexKey, Matrix>> = {};
  const entries: IndexEntry[] = clips.map(({ clip, hasAudio }) => {
    const s = byId.get(clip.id)!;
    const caption = clip.captions.find((c) => c.trim().length > 0);
    return {
      id: clip.id,
      ...(s.video ? { video: s.video } : {}),
      ...(s.audio ? { audio: s.audio } : {}),
      ...(caption !== undefined ? { caption } : {}),
      ...(s.label !== undefined ? { label: s.label } : {}),
      hasAudio,
    };
  });
  if (n) {
    const bs = { batchSize: opts.batchSize ?? 16 };
    const v = await embedder.encodeVideo(
      clips.map((c) => c.clip.video),
      bs,
    );
    Object.assign(matrices, { video_features: v.features, video_va: v.va, video_vt: v.vt });
    const withAudio = clips.flatMap((c, i) => (c.hasAudio ? [i] : []));
    if (withAudio.length) {
      const a = await embedder.encodeAudio(
        withAudio.map((i) => clips[i].clip.audio),
        bs,
      );
      Object.assign(matrices, {
        audio_features: scatterRows(a.features, withAudio, n),
        audio_va: scatterRows(a.va, withAudio, n),
        audio_vt: scatterRows(a.vt, withAudio, n),
      });
    }
    const withText = entries.flatMap((e, i) => (e.caption !== undefined ? [i] : []));
    if (withText.length) {
      const t = await embedder.encodeText(
        withText.map((i) => entries[i].caption!),
        bs,
      );
      Object.assign(matrices, { text_features: scatterRows(t.features, withText, n), text_vt: scatterRows(t.vt, withText, n) });
    }
  }
  const keys = INDEX_KEYS.filter((k) => matrices[k]).map((key) => ({ key, cols: matrices[key]!.cols }));
  return { part: { entries, skipped, keys }, matrices };
}

/** The identity of a run, compared when resuming: same source, split, samples, model and chunking. */
function runKey(spec: string, split: string, samples: readonly Sample[], modelSource: string, chunkSize: number) {
  const ids = createHash('sha256');
  for (const s of samples) ids.update(`${s.id}\n`);
  return { format: STATE_FORMAT, source: spec, split, samples: samples.length, sampleIds: ids.digest('hex'), model: path.resolve(modelSource), chunkSize };
}

/**
 * Embeds every clip of `spec` (anything `readSource` reads: manifests, dataset layouts, a plain folder of
 * video files, prepared shards (decoded up front, in memory)) into the index folder `outDir` (see the file comment). Resumes a run that stopped: parts
 * already written are kept (the source, split, model and chunk size must match, else it refuses unless
 * `overwrite`).
 *
 * @example
 * const embedder = await openEmbedder('runs/a/onnx');
 * const info = await embedDataset(embedder, '/videos/holiday', 'index/holiday', { modelSource: 'runs/a/onnx' });
 * info.count; // clips embedded; index/holiday/video_vt.npy is [count, d_vt]
 */
export async function embedDataset(embedder: Embedder, spec: string | InMemorySource, outDir: string, opts: EmbedDatasetOptions): Promise<EmbeddingIndexInfo> {
  const split = opts.split ?? 'eval';
  const chunkSize = opts.chunkSize ?? 64;
  if (!(Number.isInteger(chunkSize) && chunkSize >= 1)) throw new Error(`embed: chunkSize must be a positive integer, got ${chunkSize}`);
  const seed = opts.seed ?? 0;
  // Prepared shards hold decoded clips (no media files to point at): they are decoded up front, in memory.
  const shards = typeof spec === 'string' && spec !== 'embedded' && isShardSpec(spec) ? await readSource(spec) : undefined;
  const memory =
    typeof spec === 'string'
      ? spec === 'embedded'
        ? { clips: embeddedSplits(embedder.preprocessing, seed).heldout, name: `embedded:${seed}` }
        : shards
          ? {
              clips: (await evaluationClips(shards.shards!, embedder.preprocessing, { workers: opts.workers })).clips,
              name: `shards:${path.resolve(spec)}`,
              description: shards.description,
            }
          : undefined
      : spec;
  const specName = typeof spec === 'string' ? spec : (spec.name ?? 'in-memory');
  const source = memory
    ? {
        kind: spec === 'embedded' ? 'embedded' : shards ? 'shards' : 'in-memory',
        description:
          spec === 'embedded' ? `the embedded dataset's held-out split (seed ${seed})` : (memory.description ?? `${memory.clips.length} clips in memory`),
        samples: memory.clips.map((c) => ({ id: c.id, captions: c.captions, label: c.label })),
      }
    : await readSource(spec as string, { evaluation: split === 'eval' });
  const samples: Sample[] = source.samples;
  if (new Set(samples.map((s) => s.id)).size !== samples.length) throw new Error(`${specName}: sample ids are not unique`);
  const inMemory = memory ? new Map(memory.clips.map((c) => [c.id, c])) : undefined;
  if (!samples.length) throw new Error(`${specName}: no samples in its ${split} split`);
  const partsDir = path.join(outDir, PARTS);
  const key = runKey(memory ? (memory.name ?? 'in-memory') : path.resolve(spec as string), split, samples, opts.modelSource, chunkSize);
  const stateFile = path.join(partsDir, 'state.json');
  const indexFile = path.join(outDir, 'index.json');
  if (opts.overwrite) {
    await fs.rm(partsDir, { recursive: true, force: true });
    await fs.rm(indexFile, { force: true });
  }
  if (existsSync(stateFile)) {
    const saved = JSON.parse(await fs.readFile(stateFile, 'utf8')) as typeof key;
    const diff = (Object.keys(key) as Array<keyof typeof key>).filter((k) => saved[k] !== key[k]);
    if (diff.length) {
      throw new Error(
        `${outDir} holds an unfinished embedding of another run (${diff.map((k) => `${k}: ${String(saved[k])} -> ${String(key[k])}`).join('; ')}); ` +
          'use --overwrite to start again, or another --out',
      );
    }
  } else if (existsSync(indexFile)) {
    if (!opts.overwrite) throw new Error(`${outDir} already holds a complete index (index.json); use --overwrite to embed again, or another --out`);
  }
  await fs.mkdir(partsDir, { recursive: true });
  await writeFileAtomic(stateFile, JSON.stringify(key, null, 1));

  const numParts = Math.ceil(samples.length / chunkSize);
  let done = 0;
  let embedded = 0;
  let skippedCount = 0;
  let resumed = 0;
  for (let p = 0; p < numParts; p++) {
    const chunk = samples.slice(p * chunkSize, (p + 1) * chunkSize);
    const json = path.join(partsDir, `${partName(p)}.json`);
    if (existsSync(json)) {
      const part = JSON.parse(await fs.readFile(json, 'utf8')) as PartFile;
      embedded += part.entries.length;
      skippedCount += part.skipped.length;
      done += chunk.length;
      resumed += chunk.length;
      opts.onProgress?.({ done, total: samples.length, embedded, skipped: skippedCount, resumed });
      continue;
    }
    if (opts.signal?.aborted) break;
    const { part, matrices } = await embedChunk(embedder, chunk, opts, inMemory);
    for (const s of part.skipped) opts.onSkip?.(s.id, s.reason);
    const bin = new Float32Array(part.keys.reduce((a, k) => a + k.cols * part.entries.length, 0));
    let off = 0;
    for (const { key: k } of part.keys) {
      bin.set(matrices[k]!.data, off);
      off += matrices[k]!.data.length;
    }
    // The .bin first, then the .json: a part with a .json is complete.
    await writeFileAtomic(path.join(partsDir, `${partName(p)}.bin`), new Uint8Array(bin.buffer));
    await writeFileAtomic(json, JSON.stringify(part));
    embedded += part.entries.length;
    skippedCount += part.skipped.length;
    done += chunk.length;
    opts.onProgress?.({ done, total: samples.length, embedded, skipped: skippedCount, resumed });
  }
  if (done < samples.length) throw new EmbedInterrupted(done, samples.length, outDir);
  return assembleIndex(outDir, numParts, {
    source: { spec: specName, kind: source.kind, description: source.description, split },
    model: { source: opts.modelSource, engine: embedder.engine, description: embedder.description },
    preprocessing: embedder.preprocessing,
  });
}

/** Thrown when `signal` stopped a run before its end; running again continues it. */
export class EmbedInterrupted extends Error {
  override name = 'EmbedInterrupted';
  constructor(
    readonly done: number,
    readonly total: number,
    outDir: string,
  ) {
    super(`embedding stopped after ${done} of ${total} samples; run it again to continue (parts are kept in ${path.join(outDir, PARTS)})`);
  }
}

/** Concatenates the parts into the `.npy` files, ids.json and index.json (last), then removes the parts. */
async function assembleIndex(
  outDir: string,
  numParts: number,
  meta: Pick<EmbeddingIndexInfo, 'source' | 'model' | 'preprocessing'>,
): Promise<EmbeddingIndexInfo> {
  const partsDir = path.join(outDir, PARTS);
  const parts: Array<{ part: PartFile; bin: Float32Array }> = [];
  for (let p = 0; p < numParts; p++) {
    const part = JSON.parse(await fs.readFile(path.join(partsDir, `${partName(p)}.json`), 'utf8')) as PartFile;
    const raw = await fs.readFile(path.join(partsDir, `${partName(p)}.bin`));
    const bin = new Float32Array(raw.byteLength / 4);
    new Uint8Array(bin.buffer).set(raw);
    parts.push({ part, bin });
  }
  const entries = parts.flatMap((p) => p.part.entries);
  const count = entries.length;
  const cols = new Map<IndexKey, number>();
  for (const { part } of parts) for (const k of part.keys) cols.set(k.key, k.cols);
  const files: EmbeddingIndexInfo['files'] = {};
  for (const k of INDEX_KEYS) {
    const c = cols.get(k);
    if (c === undefined) continue;
    const data = new Float32Array(count * c);
    let row = 0;
    for (const { part, bin } of parts) {
      const rows = part.entries.length;
      let off = 0;
      for (const pk of part.keys) {
        if (pk.key === k) data.set(bin.subarray(off, off + rows * pk.cols), row * c);
        off += rows * pk.cols;
      }
      row += rows; // parts without this matrix (no audio / no captions in them) stay zero rows
    }
    await writeFileAtomic(path.join(outDir, `${k}.npy`), encodeNpy(data, [count, c]));
    files[k] = [count, c];
  }
  await writeFileAtomic(path.join(outDir, 'ids.json'), JSON.stringify(entries, null, 1));
  const info: EmbeddingIndexInfo = {
    format: INDEX_FORMAT,
    ...meta,
    count,
    files,
    skipped: parts.flatMap((p) => p.part.skipped),
    createdAt: new Date().toISOString(),
  };
  await writeFileAtomic(path.join(outDir, 'index.json'), JSON.stringify(info, null, 1));
  await fs.rm(partsDir, { recursive: true, force: true });
  return info;
}

/** An index folder read back: index.json, ids.json and the matrices. */
export interface EmbeddingIndex {
  info: EmbeddingIndexInfo;
  entries: IndexEntry[];
  matrices: Partial<Record<IndexKey, Matrix>>;
}

/**
 * Reads an index folder written by `embedDataset` / `vatt embed --data ... --out DIR`.
 *
 * @example
 * const index = await readEmbeddingIndex('index/holiday');
 * index.matrices.video_vt; // { data, rows: index.entries.length, cols: 256 }
 */
export async function readEmbeddingIndex(dir: string): Promise<EmbeddingIndex> {
  const indexFile = path.join(dir, 'index.json');
  if (!existsSync(indexFile)) {
    const partial = existsSync(path.join(dir, PARTS)) ? ' (it holds an unfinished run: run the same `vatt embed` again to finish it)' : '';
    throw new Error(`${dir}: no index.json, not an embedding index written by \`vatt embed --data ... --out DIR\`${partial}`);
  }
  const info = JSON.parse(await fs.readFile(indexFile, 'utf8')) as EmbeddingIndexInfo;
  if (info.format !== INDEX_FORMAT) throw new Error(`${indexFile}: format ${JSON.stringify(info.format)}, expected "${INDEX_FORMAT}"`);
  const entries = JSON.parse(await fs.readFile(path.join(dir, 'ids.json'), 'utf8')) as IndexEntry[];
  const matrices: EmbeddingIndex['matrices'] = {};
  for (const k of Object.keys(info.files) as IndexKey[]) {
    const { data, shape } = decodeNpy(await fs.readFile(path.join(dir, `${k}.npy`)));
    if (shape[0] !== entries.length) throw new Error(`${dir}/${k}.npy has ${shape[0]} rows, ids.json ${entries.length}`);
    matrices[k] = { data, rows: shape[0], cols: shape[1] };
  }
  return { info, entries, matrices };
}
