/**
 * VATT's three towers with their common-space projections as ONNX graphs (browser-safe: builds bytes, writes
 * no files). Each graph is the eval forward pass of one tower plus its FAC head path, emitted by the export
 * rules of @vatt/transformer (one per module type) and the FAC head rule here:
 *
 *   video.onnx  patches [batch, N, t·h·w·3]  -> features [batch, d_v], va [batch, d_va], vt [batch, d_vt]
 *   audio.onnx  patches [batch, N, P]        -> features [batch, d_a], va [batch, d_va], vt [batch, d_vt]
 *   text.onnx   ids int32 [batch, L]         -> features [batch, d_t], vt [batch, d_vt]
 *
 * The text graph builds its padding mask (`ids != 0`) and the T5 relative position bias itself. The audio
 * `vt` is the audio S_va embedding passed through the video's S_va -> S_vt map (`va_to_vat`): the FAC
 * design's route from S_va to S_vt (docs/numerics.md §5), which VATT never trains against text (no
 * audio-text loss term, §6.1); it serves text-to-audio search.
 */
import {
  OnnxExportContext,
  ONNX_OPSET,
  defaultOnnxRegistry,
  encodeOnnxModel,
  type OnnxModelData,
  type OnnxExportRegistry,
  type OnnxValue,
  type ValueSpec,
} from '@vatt/transformer';
import type { PreprocessingConfig, VattConfig } from '../config/experiment.js';
import { FacHead } from '../model/fac-head.js';
import type { VATT } from '../model/vatt.js';
import type { OnnxTensorSpec, OnnxTowerEntry, TowerName } from './manifest.js';

/**
 * The FAC head rule (docs/numerics.md §5): `path` picks the branch. `video`: vid_to_hid -> hid_to_va (S_va) ->
 * va_to_vat (S_vt); `audio`: aud_to_va (S_va), and va_to_vat of it; `text`: txt_to_vat (S_vt). Its
 * Dense / BatchNorm / Sequential parts use the @vatt/transformer rules.
 */
export const vattOnnxRegistry: OnnxExportRegistry = defaultOnnxRegistry.derive().register(FacHead, (ctx, head, x, args) => {
  const p = head.projections();
  if (args.path === 'video') {
    const va = ctx.value(p.hidToVa, ctx.value(p.vidToHid, x));
    return { va, vt: ctx.value(p.vaToVt, va) };
  }
  if (args.path === 'audio') {
    const va = ctx.value(p.audToVa, x);
    return { va, vt: ctx.value(p.vaToVt, va) };
  }
  if (args.path === 'text') return { vt: ctx.value(p.txtToVt, x) } as Record<string, OnnxValue>;
  throw new Error(`FacHead ONNX rule: path must be video, audio or text, got ${String(args.path)}`);
});

/**
 * Patch grid and values per patch of the video tower, from the preprocessing (as `VattPreprocessor.videoPatches` cuts them).
 *
 * @example
 * videoGeometry(getPreset('bbs').preprocessing); // { grid: [8, 14, 14], tokens: 1568, patchValues: 3072 }
 */
export function videoGeometry(pre: PreprocessingConfig): { grid: [number, number, number]; tokens: number; patchValues: number } {
  const v = pre.video;
  const [pt, ph, pw] = v.patchSize;
  const grid: [number, number, number] = [v.frames / pt, v.height / ph, v.width / pw];
  return { grid, tokens: grid[0] * grid[1] * grid[2], patchValues: pt * ph * pw * 3 };
}

/**
 * Grid and patch width of the audio tower (waveform `[N]`, spectrogram `[time, mel]`), from the model config.
 *
 * @example
 * audioGeometry(getPreset('bbs').model); // { grid: [1200], tokens: 1200, patchValues: 128 }
 */
export function audioGeometry(config: VattConfig): { grid: number[]; tokens: number; patchValues: number } {
  const input = config.audio.input;
  const grid = typeof input.buckets === 'number' ? [input.buckets] : [...input.buckets];
  const patchValues = typeof input.patchSize === 'number' ? input.patchSize : input.patchSize[0] * input.patchSize[1];
  return { grid, tokens: grid.reduce((a, b) => a * b, 1), patchValues };
}

/**
 * Output dimensions: [AGG] features of each tower, S_va, S_vt.
 *
 * @example
 * embeddingDims(new VATT(getPreset('tiny').model)); // { video: 64, audio: 64, text: 64, va: 128, vt: 64 }
 */
export function embeddingDims(model: VATT): { video: number; audio: number; text: number; va: number; vt: number } {
  const h = model.head.config;
  return { video: h.videoDim, audio: h.audioDim, text: h.textDim, va: h.dVa, vt: h.dVt };
}

/** One tower's graph and its manifest entry (without the byte size, known once encoded). */
export interface TowerGraph {
  tower: TowerName;
  model: OnnxModelData;
  entry: Omit<OnnxTowerEntry, 'bytes'>;
}

function spec(s: OnnxTensorSpec): ValueSpec {
  return { name: s.name, dtype: s.dtype, shape: s.shape };
}

/**
 * Builds the ONNX graph of one tower of `model` (eval forward pass + FAC head branch), with initializers
 * named by the model's parameter paths.
 *
 * @example
 * const { model, preprocessing } = await loadVatt('runs/a/checkpoints/ckpt-00000400');
 * const video = buildTowerGraph(model, preprocessing, 'video'); // video.model: ONNX ModelProto as objects
 * const bytes = await encodeOnnxModel(video.model);
 */
export function buildTowerGraph(model: VATT, pre: PreprocessingConfig, tower: TowerName, opts: { registry?: OnnxExportRegistry } = {}): TowerGraph {
  const dims = embeddingDims(model);
  const registry = opts.registry ?? vattOnnxRegistry;
  const ctx = new OnnxExportContext({ root: model, registry, maxRelativeLength: pre.text.maxTokens + 1 });
  const g = ctx.graph;
  const f32 = (name: string, shape: Array<number | string>): OnnxTensorSpec => ({ name, dtype: 'float32', shape });
  let inputs: OnnxTensorSpec[];
  let outputs: OnnxTensorSpec[];
  let values: Record<string, OnnxValue>;
  let grid: number[] | undefined;
  if (tower === 'video') {
    const geo = videoGeometry(pre);
    grid = geo.grid;
    inputs = [f32('patches', ['batch', geo.tokens, geo.patchValues])];
    const x = g.input(spec(inputs[0]));
    const { pooled } = ctx.values(model.video, x, { grid });
    values = { features: pooled, ...ctx.values(model.head, pooled, { path: 'video' }) };
    outputs = [f32('features', ['batch', dims.video]), f32('va', ['batch', dims.va]), f32('vt', ['batch', dims.vt])];
  } else if (tower === 'audio') {
    const geo = audioGeometry(model.config);
    grid = geo.grid.length > 1 ? geo.grid : undefined;
    inputs = [f32('patches', ['batch', geo.tokens, geo.patchValues])];
    const x = g.input(spec(inputs[0]));
    const { pooled } = ctx.values(model.audio, x, { grid: geo.grid });
    values = { features: pooled, ...ctx.values(model.head, pooled, { path: 'audio' }) };
    outputs = [f32('features', ['batch', dims.audio]), f32('va', ['batch', dims.va]), f32('vt', ['batch', dims.vt])];
  } else if (tower === 'text') {
    inputs = [{ name: 'ids', dtype: 'int32', shape: ['batch', pre.text.maxTokens] }];
    const x = g.input(spec(inputs[0]));
    const { pooled } = ctx.values(model.text, x);
    values = { features: pooled, ...ctx.values(model.head, pooled, { path: 'text' }) };
    outputs = [f32('features', ['batch', dims.text]), f32('vt', ['batch', dims.vt])];
  } else {
    throw new Error(`ONNX export: tower must be video, audio or text, got ${String(tower)}`);
  }
  for (const o of outputs) g.output(values[o.name], spec(o));
  const built = g.build({
    name: `vatt_${tower}`,
    doc: `VATT ${model.config.variant} ${tower} tower with its FAC head projections (eval mode), exported by vatt.ts`,
    metadata: { 'vatt.format': 'vatt-onnx/1', 'vatt.tower': tower, 'vatt.variant': model.config.variant },
  });
  return { tower, model: built, entry: { file: `${tower}.onnx`, inputs, outputs, ...(grid ? { grid } : {}) } };
}

/**
 * Every tower of `model` as encoded `.onnx` bytes with its manifest entry.
 *
 * @example
 * const towers = await exportTowerBytes(loaded.model, loaded.preprocessing);
 * towers.video.bytes; // Uint8Array of video.onnx
 */
export async function exportTowerBytes(
  model: VATT,
  pre: PreprocessingConfig,
  towers: readonly TowerName[] = ['video', 'audio', 'text'],
): Promise<Partial<Record<TowerName, { bytes: Uint8Array; entry: OnnxTowerEntry }>>> {
  const out: Partial<Record<TowerName, { bytes: Uint8Array; entry: OnnxTowerEntry }>> = {};
  for (const t of towers) {
    const graph = buildTowerGraph(model, pre, t);
    const bytes = await encodeOnnxModel(graph.model);
    out[t] = { bytes, entry: { ...graph.entry, bytes: bytes.byteLength } };
  }
  return out;
}

export { ONNX_OPSET };
