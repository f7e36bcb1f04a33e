// `vatt export tf`, `vatt inspect tf`, `vatt import tf` as a user runs them: the built dist/cli.js in
// child processes (build first: `npx tsup` in packages/vatt; `npm test` builds every package), on a
// checkpoint written by a real (2-step) `vatt pretrain`, so the exported optimizer state is the Trainer's.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getPreset } from '../../config/index.js';
import { openTfCheckpoint } from '../tf/index.js';
import type { InspectReport } from './inspect.js';
import { layoutVariables } from './layout.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../../../dist/cli.js');
let tmp: string;

function vatt(args: string[], env: Record<string, string> = {}) {
  // Runs in the temporary directory; jest's NODE_OPTIONS (a relative --require) stays out of the child.
  const { NODE_OPTIONS: _, ...inherited } = process.env;
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: tmp, env: { ...inherited, ...env }, timeout: 300_000 });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build it first (npx tsup in packages/vatt; npm test builds every package)`);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'vatt-cli-tf-'));
  const r = vatt(['pretrain', '--steps', '2', '--batch', '8', '--checkpoint-every', '2', '--warmup', '1', '--out', 'run', '--backend', 'cpu', '--quiet']);
  if (r.code !== 0) throw new Error(`vatt pretrain failed: ${r.err}`);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('vatt export / inspect / import tf', () => {
  test('help lists the commands', () => {
    const r = vatt(['--help']);
    for (const c of ['import', 'export', 'inspect']) expect(r.out).toContain(c);
    expect(vatt(['import', 'tf', '--help']).out).toMatch(/--preset <name>[\s\S]*vit-base-k400[\s\S]*--vocab <file>[\s\S]*--word-embeddings <file>/);
  });

  test('export writes the official layout with the Adam state of the run', () => {
    const r = vatt(['export', 'tf', 'run', 'official/ckpt-2']);
    expect(r.code).toBe(0);
    const trainable = layoutVariables({ family: 'modality-specific', config: getPreset('tiny').model }).filter((v) => v.trainable).length;
    expect(r.out).toMatch(
      new RegExp(`exported run/checkpoints/ckpt-00000002 \\(modality-specific\\) to official/ckpt-2: \\d+ tensors \\(${2 * trainable} optimizer slots\\)`),
    );
    expect(r.out).toMatch(/optimizer\/iter 2,/);
    expect(r.out).toContain('vocabulary: official/ckpt-2.vocab.txt');
    for (const f of ['ckpt-2.index', 'ckpt-2.data-00000-of-00001', 'ckpt-2.vocab.txt']) expect(existsSync(path.join(tmp, 'official', f))).toBe(true);
  });

  test('inspect --json lists every tensor of the index with its mapping', async () => {
    const r = vatt(['inspect', 'tf', 'official/ckpt-2', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as InspectReport;
    expect(report).toMatchObject({ family: 'modality-specific', preset: 'tiny', presetGuessed: true, matches: true, missing: [] });
    const reader = await openTfCheckpoint(path.join(tmp, 'official/ckpt-2'));
    expect(report.tensors.map((t) => t.key).sort()).toEqual(reader.keys().sort());
    await reader.close();
    const vars = layoutVariables({ family: 'modality-specific', config: getPreset('tiny').model });
    const weights = report.tensors.filter((t) => t.role === 'weight');
    expect(weights.map((t) => `${t.path} -> ${t.ours}`).sort()).toEqual(vars.map((v) => `${v.official} -> ${v.ours}`).sort());
    expect(report.tensors.filter((t) => t.role === 'unmapped')).toEqual([]);
    const text = vatt(['inspect', 'tf', 'official/ckpt-2', '--preset', 'tiny']).out;
    expect(text).toMatch(/^preset: tiny: matches exactly$/m);
    expect(text).toMatch(
      new RegExp(
        String.raw`^weight +float32 \[4, 8, 8, 3, 64\] +model/layer_with_weights-0/_base_layer/vid_backbone/_base/voxel_to_patch/kernel` +
          String.raw` -> video/voxel_to_patch/kernel \[768, 64\] \(flatten-conv\) \[code\]$`,
        'm',
      ),
    );
  });

  test('import writes a checkpoint that gives the original embeddings; progress is a line per ~10% off a terminal', () => {
    const r = vatt(['import', 'tf', 'official/ckpt-2', '--preset', 'tiny', '--out', 'back']);
    expect(r.code).toBe(0);
    const steps = r.out.split('\n').filter((l) => /^import: \d+% /.test(l));
    expect(steps.length).toBeGreaterThanOrEqual(5);
    expect(steps.length).toBeLessThanOrEqual(11);
    expect(steps[steps.length - 1]).toMatch(/^import: 100% /);
    expect(r.out).toMatch(/imported .*official\/ckpt-2 as tiny \(modality-specific\): \d+ tensors, .* -> back/);
    const captions = ['a red circle moving left', 'a blue square'];
    expect(vatt(['embed', 'run', '--text', ...captions, '--out', 'e0.json']).code).toBe(0);
    expect(vatt(['embed', 'back', '--text', ...captions, '--out', 'e1.json']).code).toBe(0);
    const [e0, e1] = ['e0.json', 'e1.json'].map((f) => JSON.parse(readFileSync(path.join(tmp, f), 'utf8')));
    expect(e1.features).toEqual(e0.features);
    expect(e1.vt).toEqual(e0.vt);
  });

  test('an import killed while writing leaves no checkpoint', () => {
    const r = vatt(['import', 'tf', 'official/ckpt-2', '--preset', 'tiny', '--out', 'killed', '--quiet'], { VATT_FAULT_KILL_DURING_SAVE: 'killed' });
    expect(r.signal).toBe('SIGKILL');
    expect(existsSync(path.join(tmp, 'killed'))).toBe(false);
    // Only the temporary directory remains, without model.json (CheckpointManager-style cleanup removes it).
    const left = readdirSync(tmp).filter((f) => f.startsWith('killed.tmp-'));
    expect(left.length).toBe(1);
    expect(existsSync(path.join(tmp, left[0], 'model.json'))).toBe(false);
  });

  test('bad arguments and a wrong preset are named', () => {
    const unknown = vatt(['import', 'tf', 'official/ckpt-2', '--preset', 'huge', '--out', 'x']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/unknown preset "huge", expected one of tiny, tiny-ma, /);
    const family = vatt(['import', 'tf', 'official/ckpt-2', '--preset', 'tiny-ma', '--out', 'x']);
    expect(family.code).toBe(1);
    expect(family.err).toMatch(/is a modality-specific VATT .* checkpoint, but preset tiny-ma is a modality-agnostic VATT-MA .*; use --preset tiny/);
    expect(vatt(['import', 'tf', 'official/ckpt-2', '--preset', 'tiny', '--classes', '5', '--out', 'x']).err).toMatch(/--classes goes with --classifier/);
    expect(vatt(['import', 'tf', 'official/nothing', '--preset', 'tiny', '--out', 'x']).err).toMatch(/no TensorFlow checkpoint at .*nothing/);
    expect(existsSync(path.join(tmp, 'x'))).toBe(false);
  });
});
