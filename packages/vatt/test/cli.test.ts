/**
 * The `vatt` CLI end to end, as a user runs it: the built `dist/cli.js` in child processes
 * (`npm test` builds every package before testing).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, promises as fs, readFileSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../dist/cli.js');
let tmp: string;

function vatt(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300_000 });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

const logLosses = (dir: string) =>
  readFileSync(path.join(dir, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((r) => r.step !== undefined && r.event === undefined)
    .map((r) => [r.step, r.loss] as [number, number]);

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test builds first)`);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'vatt-cli-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const train = (out: string, extra: string[] = []) => [
  'pretrain',
  '--steps',
  '6',
  '--batch',
  '8',
  '--checkpoint-every',
  '2',
  '--keep',
  '5',
  '--warmup',
  '2',
  '--out',
  out,
  '--backend',
  'wasm',
  '--quiet',
  ...extra,
];

describe('vatt CLI', () => {
  test('--help lists every command and each command has its own help', () => {
    const r = vatt(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['main', 'pretrain', 'eval', 'retrieve', 'embed', 'info']) expect(r.out).toContain(c);
    const p = vatt(['pretrain', '--help']);
    expect(p.out).toMatch(/--drop-rate/);
    expect(p.out).toMatch(/--resume/);
    expect(vatt(['eval', 'retrieval', '--help']).out).toMatch(/text->video/);
  });

  test('bad arguments are named in the error', () => {
    const r = vatt(['pretrain', '--steps', 'abc']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/--steps must be an integer >= 1, got "abc"/);
    const p = vatt(['pretrain', '--preset', 'huge', '--steps', '1', '--out', path.join(tmp, 'bad')]);
    expect(p.code).toBe(1);
    expect(p.err).toMatch(/--preset must be one of tiny, tiny-ma, tiny-spt, bbs, bbs-spt, mbs, lbs, ma-medium, got "huge"/);
    expect(vatt(['info', path.join(tmp, 'nothing-here')]).err).toMatch(/no checkpoint at .*nothing-here/);
  });

  test('a run killed while writing a checkpoint resumes from the last complete one with the same losses', () => {
    const full = path.join(tmp, 'full');
    expect(vatt(train(full)).code).toBe(0);
    const cut = path.join(tmp, 'cut');
    const killed = vatt(train(cut), { VATT_FAULT_KILL_DURING_SAVE: 'ckpt-00000004' });
    expect(killed.signal).toBe('SIGKILL');
    const left = readdirSync(path.join(cut, 'checkpoints'));
    expect(left).toContain('ckpt-00000002');
    expect(left.some((n) => n.startsWith('ckpt-00000004.tmp-'))).toBe(true); // the half-written save
    expect(left).not.toContain('ckpt-00000004');
    const resumed = vatt([...train(cut), '--resume']);
    expect(resumed.code).toBe(0);
    const a = logLosses(full);
    const b = logLosses(cut);
    // The cut run logged steps 1-4 before dying; after resuming from step 2 it logs 3-6 again.
    expect(b).toHaveLength(8);
    expect(b.slice(-4)).toEqual(a.slice(-4));
    expect(b.slice(0, 4)).toEqual(a.slice(0, 4));
    expect(readdirSync(path.join(cut, 'checkpoints')).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  test('--checkpoint-layers gives the same losses; --replicas 2 trains on worker threads and resumes', () => {
    const full = path.join(tmp, 'full'); // from the test above (6 steps)
    const ckpt = path.join(tmp, 'ckpt-layers');
    expect(vatt(train(ckpt, ['--checkpoint-layers'])).code).toBe(0);
    expect(logLosses(ckpt)).toEqual(logLosses(full)); // recomputed layers replay the same dropout draws
    const rep = path.join(tmp, 'replicas');
    const r = vatt([...train(rep, ['--replicas', '2', '--micro-batch', '2']), '--steps', '4']);
    expect(r.code).toBe(0);
    const losses = logLosses(rep);
    expect(losses.map(([s]) => s)).toEqual([1, 2, 3, 4]);
    for (const [, l] of losses) expect(Number.isFinite(l)).toBe(true);
    const resumed = vatt([...train(rep, ['--replicas', '2', '--micro-batch', '2']), '--resume']);
    expect(resumed.code).toBe(0);
    expect(logLosses(rep).map(([s]) => s)).toEqual([1, 2, 3, 4, 5, 6]);
    const bad = vatt([...train(path.join(tmp, 'bad-mb'), ['--micro-batch', '1'])]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/--micro-batch must be an integer >= 2, got "1"/);
  });

  test('pretraining and retrieval read real media from a manifest, skipping a truncated file', async () => {
    const media = '/usr/lib/python3/dist-packages/imageio/resources/images';
    expect(existsSync(`${media}/realshort.mp4`)).toBe(true); // Debian python3-imageio (.ci/run installs it)
    const dir = path.join(tmp, 'real');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'broken.mp4'), readFileSync(`${media}/cockatoo.mp4`).subarray(0, 3000));
    const lines = [
      { video: `${media}/realshort.mp4`, captions: ['people walking outside'] },
      { video: `${media}/cockatoo.mp4`, captions: ['a white cockatoo on a branch'] },
      { video: 'broken.mp4', captions: ['a truncated file'] },
      { video: `${media}/realshort.mp4`, captions: ['the street again'] },
      { video: `${media}/cockatoo.mp4`, captions: ['the bird again'] },
    ];
    await fs.writeFile(path.join(dir, 'data.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n'));
    const run = path.join(dir, 'run');
    const r = vatt(['pretrain', '--data', path.join(dir, 'data.jsonl'), '--steps', '3', '--batch', '2', '--out', run, '--backend', 'wasm']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/data: manifest .* 5 samples/);
    expect(r.err).toMatch(/skipped sample broken.mp4: corrupt-media/);
    expect(r.out).toMatch(/trained 3 steps/);
    const ev = vatt(['eval', 'retrieval', run, '--data', path.join(dir, 'data.jsonl'), '--backend', 'wasm']);
    expect(ev.code).toBe(0);
    expect(ev.out).toMatch(/4 clips \(1 skipped\)/);
    expect(ev.out).toMatch(/zero-shot retrieval over 4 clips/);
  });

  test('a real-data run killed mid-epoch resumes with the same batches and augmentation draws', async () => {
    const media = '/usr/lib/python3/dist-packages/imageio/resources/images';
    const dir = path.join(tmp, 'real-resume');
    await fs.mkdir(dir, { recursive: true });
    const clips = [`${media}/realshort.mp4`, `${media}/cockatoo.mp4`];
    const lines = Array.from({ length: 6 }, (_, i) => ({ video: clips[i % 2], captions: [`clip number ${i}`] }));
    await fs.writeFile(path.join(dir, 'data.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n'));
    // 3 batches of 2 per epoch: resuming from step 1 starts in the middle of the epoch.
    const args = (out: string) => [
      'pretrain',
      '--data',
      path.join(dir, 'data.jsonl'),
      '--steps',
      '3',
      '--batch',
      '2',
      '--warmup',
      '1',
      '--checkpoint-every',
      '1',
      '--out',
      out,
      '--backend',
      'wasm',
      '--quiet',
    ];
    const full = path.join(dir, 'full');
    expect(vatt(args(full)).code).toBe(0);
    const cut = path.join(dir, 'cut');
    expect(vatt(args(cut), { VATT_FAULT_KILL_DURING_SAVE: 'ckpt-00000002' }).signal).toBe('SIGKILL');
    expect(vatt([...args(cut), '--resume']).code).toBe(0);
    const a = logLosses(full);
    const b = logLosses(cut);
    expect(b.map(([s]) => s)).toEqual([1, 2, 2, 3]);
    expect(b.slice(-2)).toEqual(a.slice(-2)); // random crops, flips and colour jitter drawn alike
  });

  test('info, eval retrieval and embed work from a checkpoint alone', async () => {
    const run = path.join(tmp, 'full');
    const info = vatt(['info', run]);
    expect(info.code).toBe(0);
    expect(info.out).toMatch(/variant: modality-specific/);
    expect(info.out).toMatch(/training: step 6/);
    expect(info.out).toMatch(/video\s+2 layers x d64/);
    const json = path.join(tmp, 'ret.json');
    const ev = vatt(['eval', 'retrieval', run, '--backend', 'wasm', '--json', json]);
    expect(ev.code).toBe(0);
    expect(ev.out).toMatch(/text->video/);
    const report = JSON.parse(await fs.readFile(json, 'utf8'));
    expect(report.numClips).toBe(96);
    expect(report.textToVideo.chance.R1).toBeCloseTo(1 / 96);
    // The alias gives the same numbers.
    const again = vatt(['retrieve', run, '--backend', 'wasm']);
    expect(again.out).toContain(ev.out.split('\n').find((l) => l.includes('text->video')));
    const emb = path.join(tmp, 'emb.json');
    const e = vatt(['embed', run, '--text', 'a red circle moving left', 'a blue cross moving up', '--out', emb, '--backend', 'wasm']);
    expect(e.code).toBe(0);
    const vectors = JSON.parse(await fs.readFile(emb, 'utf8'));
    expect(vectors.vt).toHaveLength(2);
    expect(vectors.vt[0]).toHaveLength(64);
    expect(vectors.features[0]).toHaveLength(64);
  });
});
