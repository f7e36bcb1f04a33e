/**
 * The Node side of the ONNX engine: writing an exported folder (`exportOnnx`), loading onnxruntime-node (an
 * optional peer dependency, found at run time), and opening an `Embedder` on a checkpoint or an exported
 * folder with either engine.
 */
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MODEL_JSON } from '../checkpoint/file-handler.js';
import { CheckpointManager } from '../checkpoint/store.js';
import type { LoadedVatt } from '../model/from-checkpoint.js';
import { loadVatt } from '../model/load.js';
import { OnnxEmbedder, TfjsEmbedder, type Embedder, type EmbedderEngine } from './embedder.js';
import { OnnxTowers, type OrtModuleLike } from './engine.js';
import { exportTowerBytes, ONNX_OPSET } from './export-models.js';
import { MANIFEST_FILE, ONNX_FORMAT, parseOnnxManifest, TOWER_NAMES, type OnnxManifest, type TowerName } from './manifest.js';
import { writeFileAtomic } from '../durable-files.js';

let runtime: Promise<OrtModuleLike> | undefined;

/**
 * onnxruntime-node, loaded on first use. It is an optional peer dependency of `vatt`: when it is missing the
 * error says what to install.
 *
 * @example
 * const ort = await loadOnnxRuntime();
 * const session = await ort.InferenceSession.create('exported/video.onnx');
 */
export function loadOnnxRuntime(): Promise<OrtModuleLike> {
  // A computed specifier keeps bundlers from trying to inline the native addon.
  const specifier = ['onnxruntime', 'node'].join('-');
  runtime ??= (import(specifier) as Promise<OrtModuleLike & { default?: OrtModuleLike }>).then(
    (m) => (m.InferenceSession ? m : m.default!),
    (e: Error) => {
      runtime = undefined;
      throw new Error(
        `the onnx engine needs onnxruntime-node, an optional peer dependency of vatt: npm install onnxruntime-node@1.30 ` +
          `(offline: add onnxruntime-node-install=skip to .npmrc to skip its CUDA download). (${e.message})`,
      );
    },
  );
  return runtime;
}

/**
 * Whether `dir` is a folder written by `exportOnnx`: it has a manifest.json and is not a checkpoint or run
 * directory (no model.json, no checkpoints/). A damaged manifest is then reported by `readOnnxManifest`.
 *
 * @example
 * isOnnxFolder('runs/a/onnx'); // true
 */
export function isOnnxFolder(dir: string): boolean {
  return existsSync(path.join(dir, MANIFEST_FILE)) && !existsSync(path.join(dir, MODEL_JSON)) && !existsSync(path.join(dir, 'checkpoints'));
}

/**
 * A checkpoint directory (model.json), or a run directory whose newest complete checkpoint is used.
 *
 * @example
 * await resolveCheckpointDir('runs/a'); // 'runs/a/checkpoints/ckpt-00000400'
 */
export async function resolveCheckpointDir(p: string): Promise<string> {
  if (existsSync(path.join(p, MODEL_JSON))) return p;
  for (const dir of [path.join(p, 'checkpoints'), p]) {
    const latest = await new CheckpointManager(dir).latest().catch(() => null);
    if (latest) return latest.path;
  }
  throw new Error(`no checkpoint at ${p} (expected a directory with model.json, or a run directory with checkpoints/)`);
}

/** Options of `exportOnnx`. */
export interface ExportOnnxOptions {
  /** Which towers (default all three). */
  towers?: readonly TowerName[];
  /** Called as each tower is written. */
  onTower?: (tower: TowerName, bytes: number) => void;
}

/**
 * Exports a VATT model to an ONNX folder: `video.onnx`, `audio.onnx`, `text.onnx` (each tower with its FAC
 * projections, eval mode, dynamic batch) and `manifest.json` (model and preprocessing configs, vocabulary,
 * tower signatures), written atomically with the manifest last, so a folder with a manifest is complete.
 * `source` is a loaded model or a checkpoint / run directory.
 *
 * @example
 * const manifest = await exportOnnx('runs/a', 'runs/a/onnx');
 * manifest.towers.video; // { file: 'video.onnx', inputs: [{ name: 'patches', ... }], outputs: [features, va, vt] }
 */
export async function exportOnnx(source: LoadedVatt | string, outDir: string, opts: ExportOnnxOptions = {}): Promise<OnnxManifest> {
  const dir = typeof source === 'string' ? await resolveCheckpointDir(source) : undefined;
  const loaded = typeof source === 'string' ? await loadVatt<{ step?: number; seed?: number }>(dir!) : (source as LoadedVatt<{ step?: number; seed?: number }>);
  try {
    await fs.mkdir(outDir, { recursive: true });
    await fs.rm(path.join(outDir, MANIFEST_FILE), { force: true });
    const towers: OnnxManifest['towers'] = {};
    for (const t of opts.towers ?? TOWER_NAMES) {
      const built = (await exportTowerBytes(loaded.model, loaded.preprocessing, [t]))[t]!;
      await writeFileAtomic(path.join(outDir, built.entry.file), built.bytes);
      towers[t] = built.entry;
      opts.onTower?.(t, built.bytes.byteLength);
    }
    const manifest: OnnxManifest = {
      format: ONNX_FORMAT,
      producer: 'vatt.ts 0.1.0',
      opset: ONNX_OPSET,
      source: {
        ...(dir ? { checkpoint: path.resolve(dir) } : {}),
        ...(loaded.training?.step !== undefined ? { step: loaded.training.step } : {}),
        ...(loaded.training?.seed !== undefined ? { seed: loaded.training.seed } : {}),
      },
      model: loaded.config,
      preprocessing: loaded.preprocessing,
      vocab: loaded.vocab,
      towers,
      createdAt: new Date().toISOString(),
    };
    await writeFileAtomic(path.join(outDir, MANIFEST_FILE), JSON.stringify(manifest, null, 1));
    return manifest;
  } finally {
    if (typeof source === 'string') loaded.model.dispose();
  }
}

/**
 * Reads and checks `<dir>/manifest.json`.
 *
 * @example
 * const manifest = await readOnnxManifest('runs/a/onnx'); // manifest.preprocessing, manifest.vocab, manifest.towers
 */
export async function readOnnxManifest(dir: string): Promise<OnnxManifest> {
  const file = path.join(dir, MANIFEST_FILE);
  if (!existsSync(file)) throw new Error(`${dir}: no ${MANIFEST_FILE} (not a folder written by \`vatt export onnx\`)`);
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  return parseOnnxManifest(raw, file);
}

/** Options of the Node onnxruntime engine. */
export interface NodeOnnxOptions {
  /** Intra-op threads (default: every core, `os.availableParallelism()`). */
  threads?: number;
  /** An onnxruntime module to use instead of onnxruntime-node. */
  ort?: OrtModuleLike;
}

/**
 * An `OnnxEmbedder` on an exported folder, with onnxruntime-node on the CPU (intra-op threads = cores, all
 * graph optimisations).
 *
 * @example
 * const embedder = await openOnnxEmbedder('runs/a/onnx');
 * const text = await embedder.encodeText(['a dog barks in the rain']); // text.vt: [1, d_vt]
 * await embedder.dispose();
 */
export async function openOnnxEmbedder(dir: string, opts: NodeOnnxOptions & { onDispose?: () => Promise<void> } = {}): Promise<OnnxEmbedder> {
  const manifest = await readOnnxManifest(dir);
  const ort = opts.ort ?? (await loadOnnxRuntime());
  const threads = opts.threads ?? os.availableParallelism();
  const towers = new OnnxTowers(ort, manifest, async (file) => path.join(dir, file), {
    sessionOptions: {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      executionProviders: ['cpu'],
    },
    description: `onnxruntime-node cpu, ${threads} thread${threads === 1 ? '' : 's'}`,
  });
  return new OnnxEmbedder(towers, opts.onDispose);
}

/** Options of `openEmbedder`. */
export interface OpenEmbedderOptions extends NodeOnnxOptions {
  /** `tfjs` (the checkpoint on the current tfjs backend) or `onnx`; default: `onnx` for an exported folder, else `tfjs`. */
  engine?: EmbedderEngine;
  /** With `engine: 'onnx'` and a checkpoint: where to export (default a temporary folder, removed by `dispose`). */
  exportDir?: string;
}

/**
 * An `Embedder` on a checkpoint / run directory or an exported ONNX folder. `engine: 'onnx'` on a checkpoint
 * exports it first (to `exportDir`, or a temporary folder removed on `dispose`).
 *
 * @example
 * const embedder = await openEmbedder('runs/a', { engine: 'onnx' });
 * const video = await embedder.encodeVideo(clips); // video.va, video.vt
 * await embedder.dispose();
 */
export async function openEmbedder(source: string, opts: OpenEmbedderOptions = {}): Promise<Embedder> {
  const onnxFolder = isOnnxFolder(source);
  const engine = opts.engine ?? (onnxFolder ? 'onnx' : 'tfjs');
  if (engine === 'tfjs') {
    if (onnxFolder) {
      throw new Error(`${source} is an exported ONNX folder, which holds no tfjs model: use engine onnx (--engine onnx), or give the checkpoint`);
    }
    return new TfjsEmbedder(await loadVatt(await resolveCheckpointDir(source)));
  }
  if (engine !== 'onnx') throw new Error(`engine must be tfjs or onnx, got "${String(engine)}"`);
  if (onnxFolder) return openOnnxEmbedder(source, opts);
  // Fail on a missing runtime before spending time on the export.
  const ort = opts.ort ?? (await loadOnnxRuntime());
  const dir = opts.exportDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'vatt-onnx-')));
  await exportOnnx(source, dir);
  const cleanup = opts.exportDir ? undefined : () => fs.rm(dir, { recursive: true, force: true });
  return openOnnxEmbedder(dir, { ...opts, ort, onDispose: cleanup });
}
