/**
 * Matching a TensorFlow checkpoint's variables against the layout of a target (layout.ts): which
 * variable is which of our parameters, what is missing, unexpected, of another shape or dtype. Reads
 * only the index and the object graph, never tensor data, so a mismatch is reported before anything
 * is converted. Shared by the import and `inspectTfCheckpoint`.
 */
import { OBJECT_GRAPH_KEY, type TfBundleEntry, type TfCheckpointReader } from '../tf/index.js';
import { OfficialCheckpointError, describeProblem, fmtShape, type LayoutProblem } from './errors.js';
import { detectFamily, layoutVariables, nonModelRole, OFFICIAL_LAYOUT, type LayoutVariable, type OfficialFamily } from './layout.js';
import { presetsOfFamily, resolveTarget, withClasses, type ImportTarget } from './targets.js';

/** A variable of the checkpoint: its object path, key, index entry, optimizer slots. */
export interface ScannedVariable {
  path: string;
  key: string;
  entry?: TfBundleEntry;
  slots: Array<{ slot: string; path: string; key: string; entry?: TfBundleEntry }>;
}

/** What a checkpoint holds, by object path. */
export interface CheckpointScan {
  prefix: string;
  hasObjectGraph: boolean;
  /** Non-slot variables in breadth-first order (or key order without an object graph). */
  variables: ScannedVariable[];
  /** Index keys that are neither a variable, a slot nor the object graph. */
  unreferenced: string[];
  entries: Map<string, TfBundleEntry>;
}

const SUFFIX = '/.ATTRIBUTES/VARIABLE_VALUE';
const FLOAT_DTYPES = new Set(['float32', 'float16', 'bfloat16', 'float64']);

/**
 * The variables of an open checkpoint: the object graph walked (TF2), or, without one, the keys read as
 * `<path>/.ATTRIBUTES/VARIABLE_VALUE` (and `<path>/.OPTIMIZER_SLOT/<optimizer>/<slot>/...`).
 *
 * @example
 * const scan = await scanCheckpoint(await openTfCheckpoint('ckpt-500000'));
 * scan.variables[0].path; // 'model/layer_with_weights-0/_base_layer/vid_backbone/_base/agg_embedding'
 */
export async function scanCheckpoint(reader: TfCheckpointReader): Promise<CheckpointScan> {
  const entries = new Map(reader.entries().map((e) => [e.name, e]));
  const layout = await reader.layout();
  if (layout.hasObjectGraph) {
    const used = new Set<string>([OBJECT_GRAPH_KEY]);
    const variables = layout.variables.map((v): ScannedVariable => {
      used.add(v.checkpointKey);
      return {
        path: v.path,
        key: v.checkpointKey,
        entry: entries.get(v.checkpointKey),
        slots: v.slots.map((s) => {
          used.add(s.checkpointKey);
          return { slot: s.slotName, path: s.path, key: s.checkpointKey, entry: entries.get(s.checkpointKey) };
        }),
      };
    });
    return { prefix: reader.prefix, hasObjectGraph: true, variables, unreferenced: [...entries.keys()].filter((k) => !used.has(k)), entries };
  }
  const byPath = new Map<string, ScannedVariable>();
  const unreferenced: string[] = [];
  const slotRe = /^(.*)\/\.OPTIMIZER_SLOT\/(.*)\/([^/]+)\/\.ATTRIBUTES\/VARIABLE_VALUE$/;
  for (const [key, entry] of entries) {
    const slot = slotRe.exec(key);
    if (slot) continue;
    if (key.endsWith(SUFFIX)) byPath.set(key.slice(0, -SUFFIX.length), { path: key.slice(0, -SUFFIX.length), key, entry, slots: [] });
    else if (key !== OBJECT_GRAPH_KEY) unreferenced.push(key);
  }
  for (const [key, entry] of entries) {
    const slot = slotRe.exec(key);
    if (!slot) continue;
    const owner = byPath.get(slot[1]);
    if (owner) owner.slots.push({ slot: slot[3], path: key.slice(0, -SUFFIX.length), key, entry });
    else unreferenced.push(key);
  }
  return { prefix: reader.prefix, hasObjectGraph: false, variables: [...byPath.values()], unreferenced, entries };
}

/** A matched variable: the layout entry and the checkpoint's variable. */
export interface MatchedVariable {
  layout: LayoutVariable;
  variable: ScannedVariable;
  entry: TfBundleEntry;
}

/** How a checkpoint compares with a target. */
export interface MatchResult {
  target: ImportTarget;
  /** The family the checkpoint looks like (undefined: not VATT). */
  detected: OfficialFamily | undefined;
  matched: MatchedVariable[];
  problems: LayoutProblem[];
  /** Variables that are not model weights: the Checkpoint's counter, the optimizer's state, ignored weights. */
  other: Array<{ variable: ScannedVariable; role: 'checkpoint' | 'optimizer' | 'ignored'; reason: string }>;
}

const describeEntry = (e: TfBundleEntry | undefined) => (e ? `${e.dtype ?? `dtype ${e.dtypeCode}`} ${fmtShape(e.shape)}` : 'no value in the index');
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Compares a scanned checkpoint with a target's layout (a classifier whose class count is to come from
 * the checkpoint takes it from the Dense kernel first).
 *
 * @example
 * const m = matchTarget(await scanCheckpoint(reader), resolveTarget('bbs'));
 * m.problems; // [] when every variable is there with the preset's shape
 */
export function matchTarget(scan: CheckpointScan, target: ImportTarget): MatchResult {
  const detected = detectFamily(scan.variables.map((v) => v.path));
  let t = target;
  if (t.classesFromCheckpoint) {
    const cls = scan.variables.find((v) => v.path === 'model/layer_with_weights-0/_ops/cls/kernel');
    if (cls?.entry?.shape.length === 2 && cls.entry.shape[1] >= 2) t = withClasses(t, cls.entry.shape[1]);
  }
  const expected = layoutVariables(t.source);
  const byPath = new Map(expected.map((v) => [v.official, v]));
  const seen = new Set<string>();
  const matched: MatchedVariable[] = [];
  const problems: LayoutProblem[] = [];
  const other: MatchResult['other'] = [];
  for (const v of scan.variables) {
    const l = byPath.get(v.path);
    if (!l) {
      const role = nonModelRole(t.source.family, v.path);
      if (role) other.push({ variable: v, ...role });
      else problems.push({ kind: 'unexpected', official: v.path, actual: describeEntry(v.entry) });
      continue;
    }
    seen.add(v.path);
    const e = v.entry;
    const expect = `float32 ${fmtShape(l.officialShape)}`;
    if (!e) problems.push({ kind: 'missing', official: v.path, ours: l.ours, expected: `${expect} (the object graph names it, the index lacks ${v.key})` });
    else if (!e.dtype || !FLOAT_DTYPES.has(e.dtype))
      problems.push({ kind: 'dtype', official: v.path, ours: l.ours, actual: describeEntry(e), expected: expect });
    else if (!sameShape(e.shape, l.officialShape)) problems.push({ kind: 'shape', official: v.path, ours: l.ours, actual: describeEntry(e), expected: expect });
    else matched.push({ layout: l, variable: v, entry: e });
  }
  for (const l of expected) {
    if (!seen.has(l.official)) problems.push({ kind: 'missing', official: l.official, ours: l.ours, expected: `float32 ${fmtShape(l.officialShape)}` });
  }
  return { target: t, detected, matched, problems, other };
}

/**
 * The targets of the checkpoint's family, fewest problems first (for hints and guesses).
 *
 * @example
 * matchingPresets(scan, 'modality-specific')[0].cli; // '--preset bbs' for a released tx_fac_bbs checkpoint
 */
export function matchingPresets(scan: CheckpointScan, family: OfficialFamily): Array<{ cli: string; result: MatchResult }> {
  return presetsOfFamily(family)
    .map(({ spec, cli }) => ({ cli, result: matchTarget(scan, resolveTarget(spec)) }))
    .sort((a, b) => a.result.problems.length - b.result.problems.length);
}

/** A hint for positional tables of another size in a classifier (fine-tuned at another resolution). */
function geometryHint(m: MatchResult): string | undefined {
  if (m.target.source.family !== 'video-classifier') return undefined;
  const rows = (axis: string) =>
    m.problems.find((p) => p.kind === 'shape' && p.official.endsWith(`/pos_embedding_lookup/${axis}_position_embeddings/embeddings`))?.actual;
  if (!rows('temporal') && !rows('vertical') && !rows('horizontal')) return undefined;
  const c = m.target.source.config;
  const [t, h, w] = c.backbone.kind === 'video' ? c.backbone.input.patchSize : [4, 16, 16];
  const n = (axis: string, fallback: number) => Number(/\[(\d+),/.exec(rows(axis) ?? '')?.[1] ?? fallback);
  const b = c.backbone.input.buckets as readonly number[];
  const [T, H, W] = [n('temporal', b[0]), n('vertical', b[1]), n('horizontal', b[2])];
  const [frames, height, width] = [T * t, H * h, W * w];
  return (
    `its positional tables are ${T} x ${H} x ${W}: it was fine-tuned on ${frames} frames of ${height}x${width}; ` +
    `import with input { frames: ${frames}, height: ${height}, width: ${width} } (--frames ${frames} --size ${height})`
  );
}

/**
 * Throws the error that explains why a checkpoint does not fit a target, or returns when it does:
 * not VATT at all (NOT_VATT), another family (WRONG_FAMILY, naming the presets that fit), or variables
 * missing, unexpected, of another shape or dtype (LAYOUT_MISMATCH, each named with what was expected,
 * and the presets that would match).
 *
 * @example
 * assertMatches(scan, matchTarget(scan, resolveTarget('mbs'))); // throws LAYOUT_MISMATCH for a BBS checkpoint
 */
export function assertMatches(scan: CheckpointScan, m: MatchResult, options: { allowMissing?: (l: LayoutProblem) => boolean } = {}): void {
  const where = `${scan.prefix}`;
  if (!m.detected) {
    const keys = [...scan.entries.values()].filter((e) => e.name !== OBJECT_GRAPH_KEY);
    const list = keys.slice(0, 8).map((e) => `${e.name} ${describeEntry(e)}`);
    throw new OfficialCheckpointError(
      'NOT_VATT',
      `${where} is not a VATT checkpoint: none of its ${keys.length} tensors lies under model/layer_with_weights-0/ the way ` +
        `the official VATT code saves its models${scan.hasObjectGraph ? '' : ' (it has no object graph: a TF1 name-based checkpoint?)'}. ` +
        `It holds: ${list.join('; ')}${keys.length > 8 ? '; ...' : ''}`,
    );
  }
  const family = m.target.source.family;
  if (m.detected !== family) {
    const fits = matchingPresets(scan, m.detected).filter((p) => p.result.problems.length === 0);
    const all = presetsOfFamily(m.detected).map((p) => p.cli);
    const names = fits.length ? fits.map((f) => f.cli).join(' or ') : `${all.slice(0, 6).join(', ')}${all.length > 6 ? ', ...' : ''}`;
    throw new OfficialCheckpointError(
      'WRONG_FAMILY',
      `${where} is a ${OFFICIAL_LAYOUT.families[m.detected].description} checkpoint, but preset ${m.target.name} is a ` +
        `${OFFICIAL_LAYOUT.families[family].description}; use ${fits.length ? '' : 'a preset of that family: '}${names}`,
    );
  }
  const problems = m.problems.filter((p) => !(options.allowMissing && p.kind === 'missing' && options.allowMissing(p)));
  if (!problems.length) return;
  const shown = problems.slice(0, 12).map((p) => `  ${describeProblem(p)}`);
  const more = problems.length > shown.length ? `\n  ... and ${problems.length - shown.length} more (vatt inspect tf lists them all)` : '';
  const fits = matchingPresets(scan, family).filter((p) => p.result.problems.length === 0 && p.result.target.name !== m.target.name);
  const hint = geometryHint(m) ?? (fits.length ? `it matches ${fits.map((f) => f.cli).join(' or ')}` : undefined);
  const counts = (['missing', 'unexpected', 'shape', 'dtype'] as const)
    .map((k) => [k, problems.filter((p) => p.kind === k).length] as const)
    .filter(([, n]) => n)
    .map(([k, n]) => `${n} ${k === 'shape' ? 'of another shape' : k === 'dtype' ? 'of another dtype' : k}`)
    .join(', ');
  throw new OfficialCheckpointError(
    'LAYOUT_MISMATCH',
    `${where} does not fit preset ${m.target.name} (${counts}):\n${shown.join('\n')}${more}${hint ? `\nhint: ${hint}` : ''}`,
    { problems },
  );
}
