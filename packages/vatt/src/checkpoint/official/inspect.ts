/**
 * `inspectTfCheckpoint`: every tensor of a TensorFlow checkpoint with its dtype, shape, object-graph
 * path and, for a VATT checkpoint, the parameter of ours it maps to (layout.ts), plus what is missing
 * and what maps to nothing. Reads the index and the object graph only, so it is instant on a 5 GB file.
 * Without a preset it recognises the family and picks the preset that matches (or the closest one).
 */
import { OBJECT_GRAPH_KEY, openTfCheckpoint, type TfBundleEntry } from '../tf/index.js';
import { describeProblem, fmtShape, type LayoutProblem } from './errors.js';
import { detectFamily, OFFICIAL_LAYOUT, type LayoutBasis, type OfficialFamily, type ShapeTransform } from './layout.js';
import { matchingPresets, matchTarget, scanCheckpoint, type CheckpointScan, type MatchResult } from './match.js';
import { resolveTarget, type TargetSpec } from './targets.js';

/** What a tensor of the checkpoint is. */
export type InspectRole =
  /** A model weight that maps to one of our parameters. */
  | 'weight'
  /** An optimizer slot (Adam m / v, momentum) of a weight. */
  | 'slot'
  /** Optimizer step and hyper-parameters. */
  | 'optimizer'
  /** `save_counter`. */
  | 'checkpoint'
  /** The serialized object graph. */
  | 'object-graph'
  /** An official variable our model deliberately leaves out (with the reason). */
  | 'ignored'
  /** A variable that maps to none of the preset's parameters (or a preset parameter of another shape / dtype). */
  | 'unmapped';

export interface InspectedTensor {
  key: string;
  /** The object path (for slots: `<variable>/.OPTIMIZER_SLOT/optimizer/<slot>`); the key without a graph. */
  path: string;
  dtype: string;
  shape: number[];
  bytes: number;
  role: InspectRole;
  /** Our parameter (weights; for slots, the parameter the slot belongs to). */
  ours?: string;
  ourShape?: number[];
  transform?: ShapeTransform;
  basis?: LayoutBasis;
  /** The problem, for an unmapped tensor, or the reason, for an ignored one. */
  note?: string;
}

export interface InspectReport {
  prefix: string;
  hasObjectGraph: boolean;
  /** The recognised family, or undefined for a checkpoint that is not VATT's. */
  family?: OfficialFamily;
  familyDescription?: string;
  /** The preset compared with; `presetGuessed` when it was chosen as the best match. */
  preset?: string;
  presetGuessed?: boolean;
  /** True when the checkpoint fits the preset exactly (what `vatt import tf` needs). */
  matches: boolean;
  tensors: InspectedTensor[];
  /** Parameters of the preset the checkpoint lacks. */
  missing: Array<{ ours: string; official: string; expected: string }>;
  problems: LayoutProblem[];
  totals: { tensors: number; bytes: number; weights: number; weightBytes: number; slots: number; unmapped: number; missing: number };
}

const dtypeOf = (e: TfBundleEntry) => e.dtype ?? `dtype#${e.dtypeCode}`;

/**
 * Inspects a checkpoint (prefix, `.index` or directory) against a preset, or against the preset it matches best.
 *
 * @example
 * const r = await inspectTfCheckpoint('tx_fac_bbs/ckpt-500000');
 * r.preset; // 'bbs' (guessed)
 * r.tensors.filter((t) => t.role === 'weight').map((t) => `${t.path} -> ${t.ours}`);
 */
export async function inspectTfCheckpoint(checkpoint: string, options: { preset?: TargetSpec } = {}): Promise<InspectReport> {
  const reader = await openTfCheckpoint(checkpoint);
  let scan: CheckpointScan;
  try {
    scan = await scanCheckpoint(reader);
  } finally {
    await reader.close();
  }
  let m: MatchResult | undefined;
  let guessed = false;
  if (options.preset !== undefined) m = matchTarget(scan, resolveTarget(options.preset));
  else {
    const family = detectFamily(scan.variables.map((v) => v.path));
    if (family) {
      m = matchingPresets(scan, family)[0]?.result;
      guessed = true;
    }
  }
  const family = m?.detected;
  const weightsByPath = new Map((m?.matched ?? []).map((x) => [x.variable.path, x]));
  const problemByPath = new Map((m?.problems ?? []).filter((p) => p.kind !== 'missing').map((p) => [p.official, p]));
  const otherByPath = new Map((m?.other ?? []).map((o) => [o.variable.path, o]));
  const tensors: InspectedTensor[] = [];
  const push = (key: string, path: string, t: Omit<InspectedTensor, 'key' | 'path' | 'dtype' | 'shape' | 'bytes'>) => {
    const e = scan.entries.get(key);
    tensors.push({ key, path, dtype: e ? dtypeOf(e) : 'absent', shape: e?.shape ?? [], bytes: e?.size ?? 0, ...t });
  };
  for (const v of scan.variables) {
    const w = weightsByPath.get(v.path);
    const o = otherByPath.get(v.path);
    const p = problemByPath.get(v.path);
    if (w) {
      const l = w.layout;
      push(v.key, v.path, { role: 'weight', ours: l.ours, ourShape: l.shape, transform: l.transform, basis: l.basis });
    } else if (o) push(v.key, v.path, { role: o.role, note: o.reason });
    else push(v.key, v.path, { role: 'unmapped', ...(p ? { note: describeProblem(p), ...(p.ours ? { ours: p.ours } : {}) } : {}) });
    for (const s of v.slots)
      push(s.key, s.path, { role: 'slot', ...(w ? { ours: w.layout.ours, ourShape: w.layout.shape } : {}), note: `${s.slot} of ${v.path}` });
  }
  for (const k of scan.unreferenced) push(k, k, { role: 'unmapped', note: 'in the index but not in the object graph' });
  if (scan.entries.has(OBJECT_GRAPH_KEY)) push(OBJECT_GRAPH_KEY, OBJECT_GRAPH_KEY, { role: 'object-graph' });
  const missing = (m?.problems ?? [])
    .filter((p) => p.kind === 'missing')
    .map((p) => ({ ours: p.ours ?? '', official: p.official, expected: p.expected ?? '' }));
  const weights = tensors.filter((t) => t.role === 'weight');
  return {
    prefix: scan.prefix,
    hasObjectGraph: scan.hasObjectGraph,
    ...(family ? { family, familyDescription: OFFICIAL_LAYOUT.families[family].description } : {}),
    ...(m ? { preset: m.target.name, presetGuessed: guessed } : {}),
    matches: Boolean(m && family === m.target.source.family && m.problems.length === 0),
    tensors,
    missing,
    problems: m?.problems ?? [],
    totals: {
      tensors: tensors.length,
      bytes: tensors.reduce((s, t) => s + t.bytes, 0),
      weights: weights.length,
      weightBytes: weights.reduce((s, t) => s + t.bytes, 0),
      slots: tensors.filter((t) => t.role === 'slot').length,
      unmapped: tensors.filter((t) => t.role === 'unmapped').length,
      missing: missing.length,
    },
  };
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/**
 * The report as text: a header, one line per tensor (`role  dtype [shape]  path -> ours [shape] (transform)`),
 * the missing parameters and a summary.
 *
 * @example
 * process.stdout.write(formatInspectReport(await inspectTfCheckpoint('ckpt-500000')));
 */
export function formatInspectReport(r: InspectReport): string {
  const lines: string[] = [];
  lines.push(`checkpoint: ${r.prefix} (${r.hasObjectGraph ? 'TF2, object graph' : 'no object graph'})`);
  if (r.family) lines.push(`family: ${r.family}: ${r.familyDescription}`);
  else lines.push('family: not a VATT checkpoint (no variable under the official model paths)');
  if (r.preset)
    lines.push(`preset: ${r.preset}${r.presetGuessed ? ' (best match)' : ''}: ${r.matches ? 'matches exactly' : `${r.problems.length} problem(s)`}`);
  const width = Math.min(14, Math.max(...r.tensors.map((t) => t.role.length)));
  for (const t of r.tensors) {
    const head = `${t.role.padEnd(width)}  ${t.dtype} ${fmtShape(t.shape)}  ${t.path}`;
    if (t.role === 'weight')
      lines.push(`${head} -> ${t.ours} ${fmtShape(t.ourShape ?? [])}${t.transform !== 'identity' ? ` (${t.transform})` : ''} [${t.basis}]`);
    else lines.push(`${head}${t.ours && t.role === 'slot' ? ` (slot of ${t.ours})` : ''}${t.note && t.role !== 'slot' ? `  # ${t.note}` : ''}`);
  }
  for (const m of r.missing) lines.push(`${'missing'.padEnd(width)}  ${m.official} (our ${m.ours}): expected ${m.expected}`);
  const s = r.totals;
  lines.push(
    `${s.tensors} tensors, ${mb(s.bytes)}: ${s.weights} weights (${mb(s.weightBytes)}), ${s.slots} optimizer slots, ` +
      `${s.unmapped} unmapped, ${s.missing} missing`,
  );
  return lines.join('\n') + '\n';
}
