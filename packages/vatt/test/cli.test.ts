/**
 * The `vatt` CLI end to end, as a user runs it: the built `dist/cli.js` in child processes
 * (`npm test` builds every package before testing).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, promises as fs, readFileSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireBuiltCli, runVatt, VATT_CLI } from '@vatt-testing/cli';
import { IMAGEIO_MEDIA } from '@vatt-testing/media';

let tmp: string;

const vatt = (args: string[], env: Record<string, string> = {}) => runVatt(args, { env });

const logLosses = (dir: string) =>
  readFileSync(path.join(dir, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((r) => r.step !== undefined && r.event === undefined)
    .map((r) => [r.step, r.loss] as [number, number]);

beforeAll(() => {
  requireBuiltCli();
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
    for (const c of ['main', 'pretrain', 'prepare', 'eval', 'retrieve', 'embed', 'search', 'export', 'import', 'inspect', 'info']) expect(r.out).toContain(c);
    const p = vatt(['pretrain', '--help']);
    expect(p.out).toMatch(/--drop-rate/);
    expect(p.out).toMatch(/--resume/);
    expect(vatt(['eval', 'retrieval', '--help']).out).toMatch(/text->video/);
  });

  test('output piped into a reader that stops early (| head -1) ends the command quietly, not with an EPIPE stack trace', () => {
    const out = path.join(tmp, 'piped');
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${VATT_CLI}" pretrain --steps 40 --batch 4 --out "${out}" --backend wasm | head -1`], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect({ out: r.stdout.trim(), err: r.stderr }).toEqual({ out: expect.stringMatching(/^backend: wasm/), err: '' });
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
    // Two workers, killed while saving step 4 and resumed: the losses of the uninterrupted run, step for step.
    const replicas = ['--replicas', '2', '--micro-batch', '2'];
    const rep = path.join(tmp, 'replicas');
    expect(vatt(train(rep, replicas)).code).toBe(0);
    const repCut = path.join(tmp, 'replicas-cut');
    expect(vatt(train(repCut, replicas), { VATT_FAULT_KILL_DURING_SAVE: 'ckpt-00000004' }).signal).toBe('SIGKILL');
    const resumed = vatt([...train(repCut, replicas), '--resume']);
    expect(resumed.code).toBe(0);
    const uninterrupted = logLosses(rep);
    expect(uninterrupted.map(([s]) => s)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const [, l] of uninterrupted) expect(Number.isFinite(l)).toBe(true);
    const cut = logLosses(repCut);
    expect(cut.slice(0, 4)).toEqual(uninterrupted.slice(0, 4));
    expect(cut.slice(4)).toEqual(uninterrupted.slice(2)); // resumed from step 2: steps 3-6 again, the same losses
    const bad = vatt([...train(path.join(tmp, 'bad-mb'), ['--micro-batch', '1'])]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/--micro-batch must be an integer >= 2, got "1"/);
  });

  test('pretraining and retrieval read real media from a manifest, skipping a truncated file', async () => {
    const media = IMAGEIO_MEDIA;
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
    expect(r.out).toMatch(/data: manifest: .* 5 samples/);
    expect(r.err).toMatch(/skipped sample broken.mp4: corrupt-media/);
    expect(r.out).toMatch(/trained 3 steps/);
    const ev = vatt(['eval', 'retrieval', run, '--data', path.join(dir, 'data.jsonl'), '--backend', 'wasm']);
    expect(ev.code).toBe(0);
    expect(ev.out).toMatch(/4 clips \(1 skipped\)/);
    expect(ev.out).toMatch(/zero-shot retrieval over 4 clips/);
  });

  test('a real-data run killed mid-epoch resumes with the same batches and augmentation draws', async () => {
    const media = IMAGEIO_MEDIA;
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

  test('pretrain --config trains a custom experiment (frame size, sample rate, widths) on real media through the loader', async () => {
    const media = IMAGEIO_MEDIA;
    const dir = path.join(tmp, 'custom');
    await fs.mkdir(dir, { recursive: true });
    const clips = [`${media}/realshort.mp4`, `${media}/cockatoo.mp4`];
    const lines = Array.from({ length: 4 }, (_, i) => ({ video: clips[i % 2], captions: [`clip number ${i}`] }));
    await fs.writeFile(path.join(dir, 'data.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n'));
    // Start from the printed tiny preset, as a user would, and change the geometry and the widths.
    const printed = vatt(['config', 'tiny']);
    expect(printed.code).toBe(0);
    const exp = JSON.parse(printed.out);
    exp.preprocessing.video = { ...exp.preprocessing.video, frames: 4, height: 48, width: 48, patchSize: [2, 16, 16], fps: 8 };
    exp.preprocessing.audio = { ...exp.preprocessing.audio, sampleRate: 8000, samples: 6400, patchSize: 160 };
    exp.model.video = { size: 'tiny', dModel: 48, numLayers: 3 };
    exp.model.head = { ...exp.model.head, dVa: 96, dVt: 40 };
    const file = path.join(dir, 'my.json');
    await fs.writeFile(file, JSON.stringify(exp));
    const run = path.join(dir, 'run');
    const args = ['pretrain', '--config', file, '--data', path.join(dir, 'data.jsonl'), '--steps', '2', '--batch', '2', '--out', run, '--backend', 'wasm'];
    const r = vatt(args);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/model: .*my\.json \(modality-specific\)/);
    expect(r.out).toMatch(/trained 2 steps/);
    const ckpt = JSON.parse(await fs.readFile(path.join(run, 'checkpoints', 'ckpt-00000002', 'model.json'), 'utf8'));
    const model = ckpt.modelTopology.config;
    // The model's input geometry follows the preprocessing: 4/2 x 48/16 x 48/16 video buckets, 6400/160 audio buckets.
    expect(model.video.input).toMatchObject({ frames: 4, height: 48, width: 48, patchSize: [2, 16, 16], buckets: [2, 3, 3] });
    expect(model.audio.input).toEqual({ samples: 6400, patchSize: 160, buckets: 40 });
    expect([model.video.dModel, model.video.numLayers, model.head.dVa, model.head.dVt]).toEqual([48, 3, 96, 40]);
    expect(ckpt.userDefinedMetadata.preprocessing.audio.sampleRate).toBe(8000);
    expect(vatt(['eval', 'retrieval', run, '--data', path.join(dir, 'data.jsonl'), '--backend', 'wasm']).code).toBe(0);
    // The same --out again without --resume would mix two runs.
    const again = vatt(args);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(
      /already holds checkpoints of a run \(newest: ckpt-00000002\): resume it \(--resume, resume: true\), or delete them and start again \(--overwrite/,
    );
    // --resume with another batch size is refused and names the field; a bad config names its bad fields.
    const changed = vatt([...args.slice(0, -2), '--batch', '4', '--resume', '--backend', 'wasm']);
    expect(changed.err).toMatch(/training\.batchSize: 4 now, 2 in the run/);
    const bad = {
      ...exp,
      model: { ...exp.model, video: { size: 'tiny', numLayer: 3 } },
      preprocessing: { ...exp.preprocessing, video: { ...exp.preprocessing.video, height: 50 } },
    };
    await fs.writeFile(path.join(dir, 'bad.json'), JSON.stringify(bad));
    const b = vatt(['pretrain', '--config', path.join(dir, 'bad.json'), '--out', path.join(dir, 'bad')]);
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/bad\.json: invalid experiment config/);
    expect(b.err).toMatch(/model\.video\.numLayer: unknown field/);
    const geometry = vatt(['pretrain', '--config', file, '--set', 'preprocessing.video.height=50', '--out', path.join(dir, 'bad')]);
    expect(geometry.err).toMatch(/preprocessing\.video\.height: 50 is not a multiple of preprocessing\.video\.patchSize\[1\] = 16/);
    expect(vatt(['pretrain', '--set', 'training.steps=abc', '--out', path.join(dir, 'bad')]).err).toMatch(/training\.steps: .*expected number/);
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
