import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchLoader, decodeAudio, loadClip, readEsc50, writeWav } from '../src/index.js';
import type { Batch, ClipConfig, Sample } from '../src/index.js';
import { CHOIR_FLAC, COCKATOO_MP4, FLASH_AT, FROG_OGG, REALSHORT_MP4, firstLoud, frameMean, generateMedia } from './helpers/media.js';
import type { GeneratedMedia } from './helpers/media.js';

let media: GeneratedMedia;
beforeAll(() => {
  media = generateMedia();
});

const tiny: ClipConfig = { mode: 'train', video: { numFrames: 8, fps: 10, size: 32 }, audio: { sampleRate: 16000 } };

function range(values: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return [lo, hi];
}

describe('loadClip', () => {
  test('a training clip has T frames of size x size in [0, 1] and audio of the same duration', async () => {
    const clip = await loadClip({ id: 'real', video: REALSHORT_MP4 }, tiny, 1);
    expect(clip.videoShape).toEqual([1, 8, 32, 32, 3]);
    expect(clip.audioShape).toEqual([1, 12800]);
    const [lo, hi] = range(clip.video!);
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
    expect(hi - lo).toBeGreaterThan(0.3);
    expect(clip.textValid).toBe(false);
  });

  test('evaluation gives numClips x 3 crops views, crops of one window sharing its audio', async () => {
    const clip = await loadClip(
      { id: 'real', video: REALSHORT_MP4 },
      { ...tiny, mode: 'eval', numClips: 2, video: { numFrames: 4, size: 32, numCrops: 3 } },
      0,
    );
    expect(clip.numViews).toBe(6);
    expect(clip.videoShape).toEqual([6, 4, 32, 32, 3]);
    expect(clip.audioShape).toEqual([6, 6400]);
    const row = (v: number) => clip.audio!.subarray(v * 6400, (v + 1) * 6400);
    expect(Array.from(row(1))).toEqual(Array.from(row(0)));
    expect(Array.from(row(3))).not.toEqual(Array.from(row(0)));
    expect(clip.windows.map((w) => w.start)).toEqual([0, expect.any(Number)]);
  });

  test('video and audio windows start together: the flash frame and the beep agree (docs/numerics.md §7)', async () => {
    const sample: Sample = { id: 'sync', video: media.flashBeep, start: 1.0, end: 2.6 };
    const clip = await loadClip(sample, { mode: 'eval', video: { numFrames: 16, fps: 10, size: 32 }, audio: { sampleRate: 48000 } }, 0);
    expect(clip.windows[0].start).toBeCloseTo(1.0, 6);
    const frameSize = 32 * 32 * 3;
    const bright = Array.from({ length: 16 }, (_, t) => frameMean(clip.video!, frameSize, t) > 0.5).indexOf(true);
    const onset = firstLoud(clip.audio!, 0.2);
    const videoTime = 1.0 + bright / 10;
    const audioTime = 1.0 + onset / 48000;
    expect(Math.abs(audioTime - FLASH_AT)).toBeLessThan(0.03);
    expect(Math.abs(videoTime - audioTime)).toBeLessThanOrEqual(0.1);
  });

  test('timed narrations give the 5 nearest to the sampled window', async () => {
    const captions = Array.from({ length: 12 }, (_, i) => ({ text: `n${i}`, start: i * 0.1, end: i * 0.1 + 0.1 }));
    const clip = await loadClip({ id: 'n', video: REALSHORT_MP4, captions }, { ...tiny, video: { numFrames: 4, size: 32 } }, 3);
    expect(clip.captions).toHaveLength(5);
    const w = clip.windows[0];
    const picked = captions.filter((c) => clip.captions.includes(c.text));
    expect(picked.every((c) => c.end >= w.start - 0.2 && c.start <= w.end + 0.2)).toBe(true);
    expect(clip.textValid).toBe(true);
  });
});

describe('BatchLoader', () => {
  test('bad samples are skipped with reasons and the run still finishes with full batches', async () => {
    const samples: Sample[] = [
      { id: 'flash', video: media.flashBeep },
      { id: 'corrupt', video: media.corrupt },
      { id: 'real', video: REALSHORT_MP4 },
      { id: 'silent', video: media.silent },
      { id: 'truncated', video: media.truncated },
      { id: 'missing', video: `${media.dir}/missing.mp4` },
      { id: 'flash2', video: media.flashBeep },
    ];
    const loader = new BatchLoader(samples, { batchSize: 2, clip: tiny, workers: 1, shuffle: false });
    const batches: Batch[] = [];
    for await (const batch of loader) batches.push(batch);
    expect(batches.map((b) => b.ids)).toEqual([['flash', 'real'], ['flash2']]);
    expect(batches[0].videoShape).toEqual([2, 8, 32, 32, 3]);
    expect(batches[0].audioShape).toEqual([2, 12800]);
    expect(batches[0].video!.length).toBe(2 * 8 * 32 * 32 * 3);
    expect(loader.stats.loaded).toBe(3);
    expect(loader.stats.skipped.map((s) => [s.id, s.code])).toEqual([
      ['corrupt', 'corrupt-media'],
      ['silent', 'no-audio-stream'],
      ['truncated', 'corrupt-media'],
      ['missing', 'file-not-found'],
    ]);
    expect(loader.stats.skipped[0].reason).toMatch(/corrupt\.mp4/);
  });

  test('the same seed gives the same batches in a worker and on the main thread', async () => {
    const samples: Sample[] = [
      { id: 'a', video: REALSHORT_MP4 },
      { id: 'b', video: media.flashBeep },
    ];
    const run = async (workers: number) => {
      const out: Batch[] = [];
      for await (const b of new BatchLoader(samples, { batchSize: 2, clip: tiny, workers, seed: 11 })) out.push(b);
      return out;
    };
    const [inWorker, inline] = [await run(1), await run(0)];
    expect(inWorker[0].ids).toEqual(inline[0].ids);
    expect(Buffer.from(inWorker[0].video!.buffer).equals(Buffer.from(inline[0].video!.buffer))).toBe(true);
    expect(Buffer.from(inWorker[0].audio!.buffer).equals(Buffer.from(inline[0].audio!.buffer))).toBe(true);
  });

  test('a seed gives byte-identical clips run to run, even where h264 error concealment kicks in', async () => {
    // cockatoo.mp4 decoded from ~11 s on hits damaged references; frame-threaded decoding then differs
    // from run to run, so the loader decodes on one thread (ClipConfig.threads, default 1).
    const cfg: ClipConfig = { mode: 'train', video: { numFrames: 8, fps: 10, size: 32 }, audio: { sampleRate: 5120, numSamples: 4096 } };
    const clips = [];
    for (let i = 0; i < 3; i++) clips.push(await loadClip({ id: 'c', video: COCKATOO_MP4 }, cfg, 12345));
    for (const c of clips.slice(1)) expect(Buffer.from(c.video!.buffer).equals(Buffer.from(clips[0].video!.buffer))).toBe(true);
  });

  test('ffmpeg and per-sample time limits turn stuck samples into skips, never a hang', async () => {
    const samples: Sample[] = [
      { id: 'a', video: REALSHORT_MP4 },
      { id: 'b', video: REALSHORT_MP4 },
    ];
    const ffmpegLimit = new BatchLoader(samples, { batchSize: 2, clip: { ...tiny, timeoutMs: 1 }, workers: 1 });
    for await (const _ of ffmpegLimit) throw new Error('no batch expected');
    expect(ffmpegLimit.stats.skipped.map((s) => s.code)).toEqual(['timeout', 'timeout']);
    const sampleLimit = new BatchLoader(samples, { batchSize: 2, clip: tiny, workers: 1, sampleTimeoutMs: 5 });
    for await (const _ of sampleLimit) throw new Error('no batch expected');
    expect(sampleLimit.stats.skipped.map((s) => s.code)).toEqual(['timeout', 'timeout']);
  });

  test('a missing worker script makes the loader throw instead of hanging', async () => {
    const loader = new BatchLoader([{ id: 'a', video: REALSHORT_MP4 }], {
      batchSize: 1,
      clip: tiny,
      workers: 1,
      workerScript: `${media.dir}/no-such-worker.js`,
    });
    await expect(
      (async () => {
        for await (const _ of loader) throw new Error('no batch expected');
      })(),
    ).rejects.toThrow(/worker script not found/);
  });

  test('workers that keep crashing make the loader throw; a single crash only skips its sample', async () => {
    const script = `${media.dir}/crashing-worker.mjs`;
    writeFileSync(script, "import { parentPort } from 'node:worker_threads'; parentPort.on('message', () => process.exit(3));\n");
    const one = new BatchLoader([{ id: 'a', video: REALSHORT_MP4 }], { batchSize: 1, clip: tiny, workers: 1, workerScript: script });
    for await (const _ of one) throw new Error('no batch expected');
    expect(one.stats.skipped.map((s) => s.code)).toEqual(['worker-crashed']);
    const many = new BatchLoader(
      Array.from({ length: 8 }, (_, i) => ({ id: `c${i}`, video: REALSHORT_MP4 })),
      { batchSize: 2, clip: tiny, workers: 1, concurrencyPerWorker: 1, workerScript: script },
    );
    await expect(
      (async () => {
        for await (const _ of many) throw new Error('no batch expected');
      })(),
    ).rejects.toThrow(/worker_threads keep failing/);
  });

  test('an empty sample list gives no batches, even with endless epochs', async () => {
    const loader = new BatchLoader([], { batchSize: 2, clip: tiny, workers: 0, epochs: Infinity });
    for await (const _ of loader) throw new Error('no batch expected');
    expect(loader.stats).toEqual({ loaded: 0, batches: 0, skipped: [] });
  });

  test('ESC-50 audio-only clips (44.1 kHz WAV) load as 48 kHz batches with their targets', async () => {
    const root = join(media.dir, 'ESC-50');
    mkdirSync(join(root, 'meta'), { recursive: true });
    mkdirSync(join(root, 'audio'));
    await writeWav(join(root, 'audio', '1-100-A-7.wav'), await decodeAudio(CHOIR_FLAC, { sampleRate: 44100 }), 44100);
    await writeWav(join(root, 'audio', '2-200-A-31.wav'), await decodeAudio(FROG_OGG, { sampleRate: 44100 }), 44100);
    writeFileSync(
      join(root, 'meta', 'esc50.csv'),
      'filename,fold,target,category,esc10,src_file,take\n1-100-A-7.wav,1,7,choir,False,100,A\n2-200-A-31.wav,2,31,frog,False,200,A\n',
    );
    const clips = await readEsc50({ root });
    const loader = new BatchLoader(clips, { batchSize: 2, clip: { mode: 'eval', video: false, audio: { sampleRate: 48000, numSamples: 48000 } }, workers: 1 });
    const batches: Batch[] = [];
    for await (const b of loader) batches.push(b);
    expect(batches).toHaveLength(1);
    expect(batches[0].audioShape).toEqual([2, 48000]);
    expect(batches[0].video).toBeUndefined();
    expect(batches[0].labels).toEqual([7, 31]);
    expect(Math.max(...Array.from(batches[0].audio!, Math.abs))).toBeGreaterThan(0.01);
  });

  test('breaking out of the loop early stops the workers', async () => {
    const samples: Sample[] = Array.from({ length: 6 }, (_, i) => ({ id: `c${i}`, video: REALSHORT_MP4 }));
    const loader = new BatchLoader(samples, { batchSize: 1, clip: tiny, workers: 1, prefetch: 2, epochs: Infinity });
    let seen = 0;
    for await (const batch of loader) {
      expect(batch.ids).toHaveLength(1);
      if (++seen === 3) break;
    }
    expect(loader.stats.batches).toBe(3);
  });
});
