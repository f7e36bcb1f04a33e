/**
 * @jest-environment ../transformer/src/onnx/ort-test-environment.cjs
 */
/**
 * The ONNX commands end to end, as a user runs them (the built `dist/cli.js` in child processes):
 * `vatt export onnx`, batch `vatt embed --data <folder of videos> --out DIR` (killed with SIGKILL after its
 * first part and resumed: byte-identical to an uninterrupted run), `--engine onnx` on a checkpoint
 * (exported on the fly) and `--engine tfjs` agreeing, numpy reading the .npy files, `vatt search` (text,
 * --like an id, --like a file, --audio), and `vatt eval retrieval --engine onnx`.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { saveCheckpoint } from '../checkpoint/store.js';
import { decodeNpy } from './npy.js';
import { maxDiff, onnxCheck, pythonOnnxAvailable, randomLoaded } from './test-helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../../dist/cli.js');
let tmp: string;
let ckpt: string;
let videos: string;

function vatt(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300_000 });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

/** Starts the CLI and SIGKILLs it as soon as `file` exists (polled every 2 ms); resolves with the signal it ended by. */
function vattKilledWhen(args: string[], file: string): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: 'ignore' });
    const poll = setInterval(() => existsSync(file) && child.kill('SIGKILL'), 2);
    child.on('exit', (_code, signal) => {
      clearInterval(poll);
      resolve(signal);
    });
  });
}

function ffmpeg(args: string[]): void {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-y', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
}

const npy = (dir: string, name: string) => decodeNpy(readFileSync(path.join(dir, `${name}.npy`)));

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test builds first)`);
  await tf.setBackend('cpu');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'vatt-onnx-cli-'));
  // A checkpoint of the tiny preset with random weights (BatchNorm statistics included).
  const loaded = randomLoaded('tiny');
  ckpt = path.join(tmp, 'ckpt');
  await saveCheckpoint(ckpt, {
    modelConfig: loaded.config,
    preprocessing: loaded.preprocessing,
    vocab: loaded.vocab,
    training: { step: 3, seed: 0 },
    weights: loaded.model.namedWeights(),
  });
  loaded.model.dispose();
  // A user's folder of videos: four clips with sound, one without, one broken file.
  videos = path.join(tmp, 'my videos');
  mkdirSync(path.join(videos, 'more'), { recursive: true });
  for (const [i, c] of ['red', 'lime', 'blue', 'yellow'].entries()) {
    ffmpeg([
      ...['-f', 'lavfi', '-i', `color=c=${c}:s=64x48:r=10:d=2`, '-f', 'lavfi', '-i', `sine=frequency=${300 + 200 * i}:sample_rate=16000:duration=2`],
      ...['-c:v', 'libvpx', '-b:v', '200k', '-c:a', 'libopus', '-shortest', path.join(videos, `${c}.webm`)],
    ]);
  }
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=64x48:r=10:d=2', '-c:v', 'libvpx', path.join(videos, 'more', 'silent.webm')]);
  writeFileSync(path.join(videos, 'more', 'broken.mp4'), 'not a video');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('vatt export onnx / embed --out DIR / search', () => {
  let onnxDir: string;
  let index: string;

  test('export onnx writes the three towers and a manifest; onnx.checker accepts them', () => {
    onnxDir = path.join(tmp, 'onnx');
    const r = vatt(['export', 'onnx', ckpt, '--out', onnxDir]);
    expect(r.err).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/exported modality-specific VATT \(video, audio, text; opset 17\)/);
    expect(readdirSync(onnxDir).sort()).toEqual(['audio.onnx', 'manifest.json', 'text.onnx', 'video.onnx']);
    if (pythonOnnxAvailable()) onnxCheck(['video', 'audio', 'text'].map((t) => path.join(onnxDir, `${t}.onnx`)));
    expect(vatt(['export', 'onnx', ckpt, '--out', path.join(tmp, 'x'), '--towers', 'video,smell']).err).toMatch(/unknown tower\(s\) smell/);
  });

  test('embed a folder of videos into an index: killed after the first part, resumed, identical to an uninterrupted run', async () => {
    const full = path.join(tmp, 'index-full');
    const r = vatt(['embed', onnxDir, '--data', videos, '--out', full, '--chunk', '2', '--batch-size', '2']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/wrote .*index-full: 5 clips \(1 skipped\)/);
    expect(r.err).toMatch(/skipped sample more\/broken\.mp4: corrupt-media/);

    index = path.join(tmp, 'index');
    // kill -9 as soon as the first part is complete (its .json is written last).
    const killed = await vattKilledWhen(
      ['embed', onnxDir, '--data', videos, '--out', index, '--chunk', '2', '--batch-size', '2'],
      path.join(index, 'parts', 'part-000000.json'),
    );
    expect(killed).toBe('SIGKILL');
    expect(existsSync(path.join(index, 'index.json'))).toBe(false);
    const parts = readdirSync(path.join(index, 'parts'));
    expect(parts).toEqual(expect.arrayContaining(['part-000000.bin', 'part-000000.json', 'state.json']));
    expect(parts.filter((f) => f.endsWith('.json') && f.startsWith('part-')).length).toBeLessThan(3);
    expect(vatt(['search', index, 'a red thing']).err).toMatch(/holds an unfinished run: run the same `vatt embed` again/);
    // Another chunk size would give other parts: refused, not mixed.
    expect(vatt(['embed', onnxDir, '--data', videos, '--out', index, '--chunk', '3']).err).toMatch(/unfinished embedding of another run \(chunkSize: 2 -> 3\)/);
    const resumed = vatt(['embed', onnxDir, '--data', videos, '--out', index, '--chunk', '2', '--batch-size', '2']);
    expect(resumed.code).toBe(0);
    expect(existsSync(path.join(index, 'parts'))).toBe(false);
    for (const f of ['video_features', 'video_va', 'video_vt', 'audio_features', 'audio_va', 'audio_vt']) {
      expect(readFileSync(path.join(index, `${f}.npy`)).equals(readFileSync(path.join(full, `${f}.npy`)))).toBe(true);
    }
    const ids = JSON.parse(readFileSync(path.join(index, 'ids.json'), 'utf8'));
    expect(ids).toEqual(JSON.parse(readFileSync(path.join(full, 'ids.json'), 'utf8')));
    expect(ids.map((e: { id: string }) => e.id)).toEqual(['blue.webm', 'lime.webm', 'more/silent.webm', 'red.webm', 'yellow.webm']);
    expect(ids.find((e: { id: string }) => e.id === 'more/silent.webm')).toMatchObject({ hasAudio: false, video: path.join(videos, 'more/silent.webm') });
    const info = JSON.parse(readFileSync(path.join(index, 'index.json'), 'utf8'));
    expect(info).toMatchObject({ format: 'vatt-embeddings/1', count: 5, source: { kind: 'media-folder' }, model: { engine: 'onnx' } });
    expect(info.skipped).toEqual([expect.objectContaining({ id: 'more/broken.mp4' })]);
    expect(vatt(['embed', onnxDir, '--data', videos, '--out', index]).err).toMatch(/already holds a complete index .*--overwrite/);

    // numpy reads the files as they are.
    const py = spawnSync(
      '/usr/bin/python3',
      ['-c', `import numpy as np; a = np.load(${JSON.stringify(path.join(index, 'video_vt.npy'))}); print(a.shape, a.dtype)`],
      {
        encoding: 'utf8',
      },
    );
    expect(py.stdout.trim()).toBe('(5, 64) float32');
  });

  test('--engine onnx on a checkpoint (exported on the fly) and --engine tfjs give the same index', () => {
    const viaCkpt = path.join(tmp, 'index-ckpt-onnx');
    const r = vatt(['embed', ckpt, '--engine', 'onnx', '--data', videos, '--out', viaCkpt, '--quiet']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/engine: onnxruntime-node cpu/);
    const tfjs = path.join(tmp, 'index-tfjs');
    const t = vatt(['embed', ckpt, '--engine', 'tfjs', '--backend', 'wasm', '--data', videos, '--out', tfjs, '--quiet']);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/engine: tfjs wasm/);
    for (const f of ['video_va', 'video_vt', 'audio_va', 'audio_vt', 'audio_features']) {
      // Other batch sizes than the index (16 vs 2) change the GEMM blocking: float32 rounding only.
      expect(maxDiff(npy(viaCkpt, f).data, npy(index, f).data)).toBeLessThanOrEqual(1e-4);
      expect(maxDiff(npy(tfjs, f).data, npy(index, f).data)).toBeLessThanOrEqual(1e-4);
    }
    expect(vatt(['embed', onnxDir, '--engine', 'tfjs', '--data', videos, '--out', path.join(tmp, 'no')]).err).toMatch(/holds no tfjs model: use engine onnx/);
  });

  test('search: text -> video, --like an id and a file, --audio leaves out clips without sound', () => {
    const json = path.join(tmp, 'hits.json');
    const r = vatt(['search', index, 'a', 'red', 'square', '--top', '3', '--json', json]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/search "a red square": text -> video in S_vt, 5 clips/);
    const hits = JSON.parse(readFileSync(json, 'utf8')).hits as Array<{ rank: number; score: number; entry: { id: string; video: string } }>;
    expect(hits.map((h) => h.rank)).toEqual([1, 2, 3]);
    expect(hits[0].score).toBeGreaterThanOrEqual(hits[1].score);
    expect(hits[0].entry.video).toMatch(/my videos\/.*\.webm$/);
    expect(r.out).toContain(hits[0].entry.id);

    const like = vatt(['search', index, '--like', 'red.webm', '--top', '10', '--json', json]);
    expect(like.code).toBe(0);
    const likeHits = JSON.parse(readFileSync(json, 'utf8')).hits as Array<{ entry: { id: string } }>;
    expect(likeHits).toHaveLength(4);
    expect(likeHits.map((h) => h.entry.id)).not.toContain('red.webm');

    const file = vatt(['search', index, '--like', path.join(videos, 'blue.webm'), '--top', '1', '--json', json]);
    expect(file.code).toBe(0);
    const fileHits = JSON.parse(readFileSync(json, 'utf8')).hits as Array<{ score: number; entry: { id: string } }>;
    expect(fileHits[0].entry.id).toBe('blue.webm');
    expect(fileHits[0].score).toBeGreaterThan(0.9999);

    const audio = vatt(['search', index, 'a beep', '--audio', '--top', '10', '--json', json]);
    expect(audio.code).toBe(0);
    expect(audio.out).toMatch(/text -> audio in S_vt/);
    expect((JSON.parse(readFileSync(json, 'utf8')).hits as Array<{ entry: { id: string } }>).map((h) => h.entry.id)).not.toContain('more/silent.webm');
    expect(vatt(['search', index]).err).toMatch(/give a query/);
    expect(vatt(['search', videos, 'x']).err).toMatch(/no index\.json, not an embedding index/);
  });

  test('eval retrieval --engine onnx on a checkpoint and on the exported folder', () => {
    const a = vatt(['eval', 'retrieval', ckpt, '--engine', 'onnx', '--json', path.join(tmp, 'r1.json')]);
    expect(a.code).toBe(0);
    expect(a.out).toMatch(/zero-shot retrieval over 96 clips/);
    const b = vatt(['retrieve', onnxDir, '--json', path.join(tmp, 'r2.json')]);
    expect(b.code).toBe(0);
    expect(readFileSync(path.join(tmp, 'r1.json'), 'utf8')).toBe(readFileSync(path.join(tmp, 'r2.json'), 'utf8'));
    const idx = path.join(tmp, 'index-embedded');
    const d = vatt(['embed', onnxDir, '--data', 'embedded', '--out', idx, '--quiet']);
    expect(d.code).toBe(0);
    expect(d.out).toMatch(/96 clips \(0 skipped\) from the embedded dataset's held-out split \(seed 0\); .*text_vt\.npy \[96, 64\]/);
    const e = vatt(['embed', onnxDir, '--text', 'a red circle moving left', '--out', path.join(tmp, 'emb.json')]);
    expect(e.code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(tmp, 'emb.json'), 'utf8')).vt[0]).toHaveLength(64);
  });
});
