/**
 * `vatt eval retrieval | linear | finetune` end to end through the built CLI (`npm test` builds first).
 * The retrieval check runs `vatt main` (what `npm start` runs) and asserts that `vatt eval retrieval`
 * on its checkpoint prints the same numbers: one code path.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireBuiltCli, runVatt } from '@vatt-testing/cli';
import { SONIC_SAMPLES } from '@vatt-testing/media';
import { npyToMatrix } from '../src/eval/multi-caption.js';

const SONIC = SONIC_SAMPLES;
let tmp: string;
let run: string;

const vatt = (args: string[]) => runVatt(args);
const json = (f: string) => JSON.parse(readFileSync(f, 'utf8'));

beforeAll(() => {
  requireBuiltCli();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'vatt-eval-cli-'));
  run = path.join(tmp, 'main');
  const r = vatt(['main', '--steps', '3', '--out', run, '--backend', 'wasm']);
  if (r.code !== 0) throw new Error(`vatt main failed: ${r.err}`);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('vatt eval', () => {
  test('eval lists retrieval, linear and finetune, each with its own help', () => {
    const r = vatt(['eval', '--help']);
    for (const c of ['retrieval', 'linear', 'finetune']) expect(r.out).toContain(c);
    expect(vatt(['eval', 'linear', '--help']).out).toMatch(/--head <kind>/);
    expect(vatt(['eval', 'finetune', '--help']).out).toMatch(/--clip-norm/);
  });

  test('eval retrieval on the checkpoint of `vatt main` reproduces the numbers `vatt main` printed', () => {
    const file = path.join(tmp, 'retrieval.json');
    const r = vatt(['eval', 'retrieval', run, '--json', file, '--backend', 'wasm']);
    expect(r.code).toBe(0);
    expect(json(file)).toEqual(json(path.join(run, 'retrieval.json')));
  });

  test('eval captions scores every caption as a query and exports the similarity matrix as .npy', () => {
    const npy = path.join(tmp, 'sim.npy');
    const file = path.join(tmp, 'captions.json');
    const r = vatt(['eval', 'captions', run, '--similarity', npy, '--json', file, '--backend', 'wasm']);
    expect(r.code).toBe(0);
    const j = json(file);
    const m = npyToMatrix(new Uint8Array(readFileSync(npy)));
    expect([m.rows, m.cols]).toEqual([j.numCaptions, j.numVideos]);
    expect(j.numCaptions).toBeGreaterThan(j.numVideos);
    expect(j.textToVideo.n).toBe(j.numCaptions);
    expect(j.videoToText.n).toBe(j.numVideos);
  });

  test('eval linear probes the embedded data by attribute and writes JSON', () => {
    const file = path.join(tmp, 'linear.json');
    const r = vatt(['eval', 'linear', run, '--label', 'color', '--epochs', '30', '--lr', '0.005', '--json', file, '--backend', 'wasm']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/top-1/);
    const j = json(file);
    expect(j.classes).toEqual(['red', 'green', 'blue', 'yellow', 'purple', 'white']);
    expect(j.metrics.top1).toBeGreaterThan(j.metrics.chance.top1); // colour is easy even for a 3-step model
  });

  test('eval finetune trains a classifier with checkpoints and reports multi-view accuracy', () => {
    const file = path.join(tmp, 'finetune.json');
    const out = path.join(tmp, 'ft');
    const r = vatt([
      'eval',
      'finetune',
      run,
      '--label',
      'shape',
      '--steps',
      '4',
      '--batch',
      '8',
      '--warmup',
      '1',
      '--out',
      out,
      '--checkpoint-every',
      '2',
      '--json',
      file,
      '--backend',
      'wasm',
    ]);
    expect(r.code).toBe(0);
    const j = json(file);
    expect(j.steps).toBe(4);
    expect(j.classification.numClasses).toBe(4);
    expect(readdirSync(path.join(out, 'checkpoints')).sort()).toEqual(['ckpt-00000002', 'ckpt-00000004']);
    const again = vatt([
      'eval',
      'finetune',
      run,
      '--label',
      'shape',
      '--steps',
      '4',
      '--batch',
      '8',
      '--warmup',
      '1',
      '--out',
      out,
      '--resume',
      '--json',
      file,
      '--backend',
      'wasm',
    ]);
    expect(again.code).toBe(0);
    expect(json(file).steps).toBe(0); // already complete: nothing left to train
    const other = vatt(['eval', 'finetune', run, '--label', 'shape', '--steps', '4', '--batch', '8', '--out', out, '--resume', '--backend', 'wasm']);
    expect(other.code).toBe(1); // the default warmup (10, capped at 4 steps) is not the run's 1: the schedule would change
    expect(other.err).toMatch(/resume \(--resume\): this run was started with other settings .*\n\s+warmup/);
    // The classifier checkpoint is readable: `vatt info`, and `loadClassifier` (not `loadVatt`).
    const info = vatt(['info', path.join(out, 'checkpoints', 'ckpt-00000004')]);
    expect(info.code).toBe(0);
    expect(info.out).toMatch(/fine-tuned video-classifier: 4 classes/);
    expect(info.out).toMatch(/classes: circle, square, triangle, cross/);
    expect(info.out).toMatch(/training: step 4/);
  });

  test('a UCF101 layout is read with its official split and probed on video clips (--split, --max-per-class)', () => {
    const ucf = path.join(tmp, 'UCF101');
    mkdirSync(path.join(ucf, 'ucfTrainTestlist'), { recursive: true });
    writeFileSync(path.join(ucf, 'ucfTrainTestlist', 'classInd.txt'), '1 Rowing\n2 Surfing\n');
    const lists: Record<string, string[]> = { trainlist02: [], testlist02: [] };
    ['Rowing', 'Surfing'].forEach((c, ci) => {
      mkdirSync(path.join(ucf, c), { recursive: true });
      for (let g = 1; g <= 4; g++) {
        const rel = `${c}/v_${c}_g0${g}_c01.avi`;
        const src = `${ci ? 'smptebars' : 'testsrc'}=size=64x48:rate=12:duration=1`;
        const r = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', src, '-c:v', 'mpeg4', path.join(ucf, rel)]);
        expect(r.status).toBe(0);
        if (g < 4) lists.trainlist02.push(`${rel} ${ci + 1}`);
        else lists.testlist02.push(rel);
      }
    });
    for (const [name, lines] of Object.entries(lists)) writeFileSync(path.join(ucf, 'ucfTrainTestlist', `${name}.txt`), `${lines.join('\n')}\n`);
    const file = path.join(tmp, 'ucf.json');
    const r = vatt([
      'eval',
      'linear',
      run,
      '--data',
      ucf,
      '--split',
      '2',
      '--max-per-class',
      '2',
      '--clips',
      '1',
      '--epochs',
      '5',
      '--json',
      file,
      '--backend',
      'wasm',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/UCF101 in .*, split 2/);
    const j = json(file);
    expect(j.classes).toEqual(['Rowing', 'Surfing']);
    expect(j.numTest).toBe(2);
    expect(j.numTrain).toBe(2 * 2); // 2 per class (--max-per-class), 1 clip each
    expect(vatt(['eval', 'linear', run, '--data', ucf, '--split', '1']).err).toMatch(/trainlist01\.txt/); // no split 1 lists here
  });

  test('a class-per-folder directory of real audio files is probed through @vatt/data (sonic-pi-samples)', () => {
    expect(existsSync(SONIC)).toBe(true); // Debian sonic-pi-samples (.ci/run installs it)
    const data = path.join(tmp, 'sonic');
    for (const c of ['bd', 'elec', 'tabla']) {
      mkdirSync(path.join(data, c), { recursive: true });
      for (const f of readdirSync(SONIC)
        .filter((f) => f.startsWith(`${c}_`))
        .slice(0, 5))
        symlinkSync(path.join(SONIC, f), path.join(data, c, f));
    }
    const file = path.join(tmp, 'sonic.json');
    const r = vatt(['eval', 'linear', run, '--data', data, '--epochs', '5', '--clips', '2', '--json', file, '--backend', 'wasm']);
    expect(r.code).toBe(0);
    const j = json(file);
    expect(j.classes).toEqual(['bd', 'elec', 'tabla']);
    expect(j.numTest).toBe(6);
    expect(j.numTrain).toBe(9 * 2);
    expect(vatt(['eval', 'linear', run, '--data', path.join(tmp, 'nope')]).err).toMatch(/vatt: .*nope: no such file or directory/);
  });
});
