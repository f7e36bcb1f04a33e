/**
 * Exporting any module with a registered rule as an ONNX model: declare the graph inputs, run the rules,
 * name the outputs.
 */
import type { Module } from '../module.js';
import type { OnnxValue, ValueSpec } from './graph.js';
import { encodeOnnxModel, type ModelData } from './proto.js';
import { OnnxExportContext, type OnnxExportRegistry, type OnnxRuleArgs, type OnnxRuleResult } from './registry.js';
import './rules.js';

/** An output of an exported module: which value of the rule's result (`from`, default the only one) and its spec. */
export interface OnnxOutputSpec extends ValueSpec {
  /** Key of a named result (`pooled`, `tokens`, `va`); omit for a rule that returns one value. */
  from?: string;
}

export interface OnnxModuleExportOptions {
  /** Graph name (default the module's class name). */
  name?: string;
  /** The main input (first) and, optionally, a float `[B, N]` padding mask (second, passed as `mask`). */
  inputs: ValueSpec[];
  outputs: OnnxOutputSpec[];
  /** Static rule arguments (a backbone's `grid`). */
  args?: Omit<OnnxRuleArgs, 'mask' | 'bias'>;
  registry?: OnnxExportRegistry;
  /** Weight-name prefix (default none: the module's own `namedParameters()` names). */
  prefix?: string;
  metadata?: Record<string, string>;
  doc?: string;
  /** Longest sequence a T5 relative-position bias is prepared for (default 512). */
  maxRelativeLength?: number;
}

function pick(result: OnnxRuleResult, o: OnnxOutputSpec, where: string): OnnxValue {
  if (typeof result === 'string') {
    if (o.from) throw new Error(`${where}: output ${o.name} asks for "${o.from}" but the rule returns one value`);
    return result;
  }
  const key = o.from ?? o.name;
  const v = result[key];
  if (!v) throw new Error(`${where}: the rule has no output "${key}" (it returns ${Object.keys(result).join(', ')})`);
  return v;
}

/**
 * The ONNX model (as plain protobuf objects) of `module`'s eval forward pass, built by the export rules.
 *
 * @example
 * const enc = new TransformerEncoder('tx', { numLayers: 2, dModel: 64, numHeads: 4, dKv: 16, dFF: 256 });
 * const model = buildOnnxModel(enc, {
 *   inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 'tokens', 64] }],
 *   outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 'tokens', 64] }],
 * });
 * const bytes = await encodeOnnxModel(model);
 */
export function buildOnnxModel(module: Module, opts: OnnxModuleExportOptions): ModelData {
  const where = `ONNX export of ${module.constructor.name}`;
  if (!opts.inputs.length) throw new Error(`${where}: at least one input is required`);
  const ctx = new OnnxExportContext({ root: module, prefix: opts.prefix, registry: opts.registry, maxRelativeLength: opts.maxRelativeLength });
  const [x, mask] = opts.inputs.map((s) => ctx.graph.input(s));
  const result = ctx.apply(module, x, { ...opts.args, ...(mask ? { mask } : {}) });
  for (const o of opts.outputs) ctx.graph.output(pick(result, o, where), o);
  return ctx.graph.build({ name: opts.name ?? module.constructor.name, doc: opts.doc, metadata: opts.metadata });
}

/**
 * `buildOnnxModel` encoded as `.onnx` bytes.
 *
 * @example
 * const bytes = await exportModuleOnnx(dense, {
 *   inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', dense.inDim] }],
 *   outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', dense.outDim] }],
 * });
 * const session = await ort.InferenceSession.create(bytes);
 */
export async function exportModuleOnnx(module: Module, opts: OnnxModuleExportOptions): Promise<Uint8Array> {
  return encodeOnnxModel(buildOnnxModel(module, opts));
}
