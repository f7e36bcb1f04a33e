// The loader defects of the shard issue, each reproduced: inexact resume after a skipped sample, ffmpeg left
// running (then a zombie) after a per-sample timeout, and crash skips that depend on which samples shared the
// worker; plus the cheaper unprepared path (the probe cached: one ffmpeg per clip; the decoded-clip cache).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchLoader } from '../src/index.js';
import type { Batch, ClipConfig, LoaderCursor, Sample } from '../src/index.js';
import { makeClips } from '@vatt-testing/clips';
import { generateMedia } from './helpers/media.js';
import type { GeneratedMedia } from './helpers/media.js';
import { childProcesses } from './helpers/processes.js';

/** ffmpeg / ffprobe children of this process that were not there at `before` (other test files may run first). */
const mediaChildren = (before: Set<number>) => childProcesses(/^ff(mpeg|probe)$/).filter((p) => !before.has(p.pid));
const mediaPids = () => new Set(childProcesses(/^ff(mpeg|probe)$/).map((p) => p.pid));

const tiny: ClipConfig = { mode: 'train', video: { numFrames: 4, fps: 10, size: 32 }, audio: { sampleRate: 8000, numSamples: 3200 } };

let dir: string;
let media: GeneratedMedia;
let clips: string[];

afterAll(() => {
  for (const d of [dir, media.dir]) rmSync(d, { recursive: true, force: true });
});

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vatt-loader-defects-'));
  media = generateMedia();
  clips = makeClips(join(dir, 'media'), 6, { size: 64 });
});

async function collect(loader: BatchLoader, limit = Infinity, cursors?: LoaderCursor[]): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const batch of loader) {
    out.push(batch);
    cursors?.push(loader.cursor());
    if (out.length >= limit) break;
  }
  return out;
}

function same(a: Batch[], b: Batch[]): void {
  expect(b.map((x) => [x.epoch, ...x.ids])).toEqual(a.map((x) => [x.epoch, ...x.ids]));
  a.forEach((x, i) => {
    expect(Buffer.from(b[i].video!.buffer).equals(Buffer.from(x.video!.buffer))).toBe(true);
    expect(Buffer.from(b[i].audio!.buffer).equals(Buffer.from(x.audio!.buffer))).toBe(true);
  });
}

describe('exact resume with a skipped sample', () => {
  test('6 clips, batch 2, the first clip of the epoch corrupt: the resumed run yields what the uninterrupted run yields next', async () => {
    // s0 is corrupt and first in every epoch (no shuffle): the uninterrupted run's batches are [s1,s2] [s3,s4] [s5,s1'] ...
    const samples: Sample[] = [{ id: 's0', video: media.corrupt }, ...clips.slice(0, 5).map((video, i) => ({ id: `s${i + 1}`, video }))];
    const options = { batchSize: 2, clip: tiny, seed: 4, epochs: Infinity, shuffle: false, workers: 1 };
    const cursors: LoaderCursor[] = [];
    const whole = await collect(new BatchLoader(samples, options), 5, cursors);
    expect(whole.map((b) => b.ids)).toEqual([
      ['s1', 's2'],
      ['s3', 's4'],
      ['s5', 's1'],
      ['s2', 's3'],
      ['s4', 's5'],
    ]);
    expect(whole.map((b) => b.epoch)).toEqual([0, 0, 1, 1, 1]);
    // The cursor after batch 2 is a small JSON object that a checkpoint can hold.
    const saved = JSON.parse(JSON.stringify(cursors[1])) as LoaderCursor;
    expect(saved).toEqual({ version: 1, kind: 'samples', seed: 4, count: 6, fingerprint: expect.any(String), epoch: 0, offset: 5, batches: 2 });
    const resumed = await collect(new BatchLoader(samples, { ...options, cursor: saved }), 3);
    same(whole.slice(2), resumed);
  });

  test('with shuffling, a cursor from any batch resumes exactly (same samples, skips and augmentation draws)', async () => {
    const samples: Sample[] = [...clips.slice(0, 4).map((video, i) => ({ id: `c${i}`, video })), { id: 'bad', video: media.truncated }];
    // (The decoded-clip cache keeps this fast; the cursor does not depend on it.)
    const options = { batchSize: 3, clip: tiny, seed: 8, epochs: 3, workers: 0, cacheBytes: 64 << 20 };
    const cursors: LoaderCursor[] = [];
    const whole = await collect(new BatchLoader(samples, options), Infinity, cursors);
    expect(whole.flatMap((b) => b.ids)).toHaveLength(12);
    for (const k of [0, 2]) same(whole.slice(k + 1), await collect(new BatchLoader(samples, { ...options, workers: 1, cursor: cursors[k] })));
    await expect(collect(new BatchLoader(samples.slice(1), { ...options, cursor: cursors[0] }))).rejects.toThrow(/same samples in the same order/);
    const renamed = samples.map((s, i) => (i === 2 ? { ...s, id: 'other' } : s));
    await expect(collect(new BatchLoader(renamed, { ...options, cursor: cursors[0] }))).rejects.toThrow(/same samples in the same order/);
  });
});

describe('a sample that outlives its time limit', () => {
  test('its ffmpeg is killed and reaped: no ffmpeg/ffprobe keeps running or stays a zombie', async () => {
    const fifo = join(dir, 'hangs.mp4');
    execFileSync('mkfifo', [fifo]); // opening a fifo with no writer blocks ffprobe forever
    const samples: Sample[] = [
      { id: 'hangs', video: fifo },
      { id: 'a', video: clips[0] },
      { id: 'b', video: clips[1] },
    ];
    const before = mediaPids();
    for (const workers of [1, 0]) {
      const loader = new BatchLoader(samples, { batchSize: 1, clip: tiny, workers, shuffle: false, sampleTimeoutMs: 2000 });
      const seen: string[] = [];
      for await (const batch of loader) {
        seen.push(...batch.ids);
        if (seen.length === 1) {
          // The hung sample timed out before this batch; its process must be gone already, while the loader runs.
          await new Promise((resolve) => setTimeout(resolve, 300));
          expect(mediaChildren(before)).toEqual([]);
        }
      }
      expect(seen).toEqual(['a', 'b']);
      expect(loader.stats.skipped.map((s) => [s.id, s.code])).toEqual([['hangs', 'timeout']]);
      expect(mediaChildren(before)).toEqual([]);
    }
  });

  test('a loader left early (break) kills and reaps the ffmpeg of the clips it had in flight, even one about to start', async () => {
    const samples: Sample[] = clips.map((video, i) => ({ id: `s${i}`, video }));
    const before = mediaPids();
    for (const workers of [1, 0]) {
      const loader = new BatchLoader(samples, { batchSize: 2, clip: tiny, epochs: Infinity, workers });
      let n = 0;
      for await (const _ of loader) if (++n === 3) break;
      expect(mediaChildren(before)).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(mediaChildren(before)).toEqual([]);
    }
  });
});

describe('a worker crash', () => {
  test('re-queues the samples it had in flight once, alone: only the sample that crashes it again is skipped', async () => {
    // A worker that dies 30 ms after receiving "poison", and answers anything else after 150 ms: when poison
    // kills it, the other samples sent to it are still in flight.
    const script = join(dir, 'poison-worker.mjs');
    writeFileSync(
      script,
      `import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => {
  if (m.control === 'shutdown') return parentPort.postMessage({ control: 'shutdown-done' });
  if (m.control) return;
  if (m.sample.id === 'poison') return setTimeout(() => process.exit(7), 30);
  const clip = { id: m.sample.id, numViews: 1, video: new Float32Array(3), videoShape: [1, 1, 1, 1, 3], captions: [''], textValid: false, windows: [] };
  setTimeout(() => parentPort.postMessage({ taskId: m.taskId, ok: true, clip }), 150);
});
`,
    );
    const samples: Sample[] = ['a', 'b', 'poison', 'c', 'd', 'e'].map((id) => ({ id, video: clips[0] }));
    const loader = new BatchLoader(samples, { batchSize: 1, clip: tiny, workers: 1, concurrencyPerWorker: 4, shuffle: false, workerScript: script });
    const ids = (await collect(loader)).flatMap((b) => b.ids);
    expect(ids).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(loader.stats.skipped.map((s) => [s.id, s.code])).toEqual([['poison', 'worker-crashed']]);
  });
});

describe('the unprepared path', () => {
  /** A wrapper that logs every run of `tool` to `log`, for VATT_FFMPEG / VATT_FFPROBE. */
  function counting(tool: string, log: string): string {
    const path = join(dir, `count-${tool}.sh`);
    writeFileSync(path, `#!/bin/sh\necho run >> '${log}'\nexec ${tool} "$@"\n`);
    chmodSync(path, 0o755);
    return path;
  }
  const runs = (log: string) => {
    try {
      return readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
    } catch {
      return 0;
    }
  };

  test('a file is probed once per run: after the first epoch, one ffmpeg run per clip for frames and audio', async () => {
    const probes = join(dir, 'probes.log');
    const decodes = join(dir, 'decodes.log');
    process.env.VATT_FFPROBE = counting('ffprobe', probes);
    process.env.VATT_FFMPEG = counting('ffmpeg', decodes);
    try {
      const samples = clips.slice(0, 3).map((video, i) => ({ id: `p${i}`, video }));
      // workers: 0 so that the wrappers (set in this test's environment) are what the decoder runs.
      const batches = await collect(new BatchLoader(samples, { batchSize: 3, clip: tiny, epochs: 3, workers: 0, prefetch: 1 }));
      expect(batches).toHaveLength(3);
      expect(runs(probes)).toBe(3);
      expect(runs(decodes)).toBe(9);
    } finally {
      delete process.env.VATT_FFPROBE;
      delete process.env.VATT_FFMPEG;
    }
  });

  test('the decoded-clip cache: one ffmpeg run per clip in all, and the same batches whether a clip was cached or not', async () => {
    const decodes = join(dir, 'cached.log');
    const probes = join(dir, 'cached-probes.log');
    process.env.VATT_FFMPEG = counting('ffmpeg', decodes);
    process.env.VATT_FFPROBE = counting('ffprobe', probes);
    try {
      const samples = clips.slice(0, 3).map((video, i) => ({ id: `k${i}`, video }));
      const options = { batchSize: 3, clip: tiny, epochs: 3, workers: 0, prefetch: 1, seed: 3 };
      const cached = await collect(new BatchLoader(samples, { ...options, cacheBytes: 64 << 20 }));
      expect(runs(decodes)).toBe(3);
      expect(runs(probes)).toBe(0);
      // A cache too small to admit anything: every epoch decodes again, and gives the same clips.
      const uncached = await collect(new BatchLoader(samples, { ...options, cacheBytes: 1 }));
      expect(runs(decodes)).toBe(3 + 9);
      same(cached, uncached);
    } finally {
      delete process.env.VATT_FFMPEG;
      delete process.env.VATT_FFPROBE;
    }
  });
});
