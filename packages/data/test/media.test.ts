import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAudio, decodeAudioVideo, decodeVideo, MediaError, probeMedia, readWav, writeWav } from '../src/index.js';
import type { MediaErrorCode } from '../src/index.js';
import { CHOIR_FLAC, COCKATOO_MP4, FLASH_AT, FROG_OGG, REALSHORT_MP4, firstLoud, frameMean, generateMedia } from './helpers/media.js';
import type { GeneratedMedia } from './helpers/media.js';

let media: GeneratedMedia;
beforeAll(() => {
  media = generateMedia();
});

async function expectMediaError(promise: Promise<unknown>, code: MediaErrorCode, pattern?: RegExp): Promise<MediaError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MediaError);
  expect((error as MediaError).code).toBe(code);
  if (pattern) expect((error as MediaError).message).toMatch(pattern);
  return error as MediaError;
}

describe('probeMedia', () => {
  test('reports duration, streams and whether there is audio', async () => {
    const info = await probeMedia(REALSHORT_MP4);
    expect(info.duration).toBeCloseTo(1.2, 1);
    expect(info.hasVideo && info.hasAudio).toBe(true);
    expect(info.streams.find((s) => s.type === 'video')).toMatchObject({ codec: 'h264', width: 320, height: 240 });
    expect(info.streams.find((s) => s.type === 'audio')).toMatchObject({ codec: 'aac', sampleRate: 48000 });
    expect((await probeMedia(media.silent)).hasAudio).toBe(false);
  });
});

describe('decodeVideo', () => {
  test('a real H.264 clip decodes to rgb24 frames of the requested rate and size', async () => {
    const v = await decodeVideo(REALSHORT_MP4, { fps: 10, width: 64, height: 48 });
    expect(v.numFrames).toBeGreaterThanOrEqual(11);
    expect(v.numFrames).toBeLessThanOrEqual(13);
    expect([v.width, v.height, v.fps]).toEqual([64, 48, 10]);
    expect(v.frames.length).toBe(v.numFrames * 48 * 64 * 3);
    const values = Array.from(v.frames);
    expect(Math.min(...values)).toBeLessThan(60);
    expect(Math.max(...values)).toBeGreaterThan(180);
  });

  test("'shortSide' keeps the aspect ratio and scales the short side to the target", async () => {
    const v = await decodeVideo(REALSHORT_MP4, { width: 32, height: 32, resize: 'shortSide', numFrames: 2 });
    expect([v.width, v.height, v.numFrames]).toEqual([43, 32, 2]);
  });

  test('seeking with start and numFrames reads exactly that window of a 720p clip', async () => {
    const v = await decodeVideo(COCKATOO_MP4, { fps: 10, start: 5, numFrames: 4, width: 48, height: 27 });
    expect(v.numFrames).toBe(4);
    expect(v.frames.length).toBe(4 * 27 * 48 * 3);
  });

  test('missing, corrupt and truncated files and a missing ffmpeg give MediaErrors with codes', async () => {
    await expectMediaError(decodeVideo(join(media.dir, 'nope.mp4')), 'file-not-found', /nope\.mp4/);
    await expectMediaError(decodeVideo(media.corrupt, { width: 8, height: 8 }), 'corrupt-media', /corrupt\.mp4/);
    await expectMediaError(decodeVideo(media.truncated, { width: 8, height: 8 }), 'corrupt-media', /truncated\.mp4/);
    const saved = process.env.VATT_FFPROBE;
    process.env.VATT_FFPROBE = '/nonexistent/ffprobe';
    try {
      await expectMediaError(decodeVideo(REALSHORT_MP4), 'ffmpeg-not-found', /apt-get install ffmpeg/);
    } finally {
      if (saved === undefined) delete process.env.VATT_FFPROBE;
      else process.env.VATT_FFPROBE = saved;
    }
  });
});

describe('decodeAudio', () => {
  test('audio is mono float32 at the requested rate, from mp4, FLAC and Ogg files', async () => {
    const wave = await decodeAudio(REALSHORT_MP4, { sampleRate: 16000 });
    expect(wave.length / 16000).toBeCloseTo(1.17, 1);
    const choir = await decodeAudio(CHOIR_FLAC);
    expect(choir.length / 48000).toBeCloseTo(1.57, 1);
    const frog = await decodeAudio(FROG_OGG, { start: 0.5, duration: 0.5 });
    expect(frog.length).toBe(24000);
    const peak = Math.max(...Array.from(frog, Math.abs));
    expect(peak).toBeGreaterThan(0.01);
    expect(peak).toBeLessThanOrEqual(1);
  });

  test('a video without an audio track is reported as no-audio-stream', async () => {
    await expectMediaError(decodeAudio(media.silent), 'no-audio-stream', /silent\.mp4/);
  });
});

describe('audio and video stay in sync', () => {
  test('the flash frame and the beep onset of a generated clip agree within one frame', async () => {
    const start = 1.05;
    const fps = 10;
    const v = await decodeVideo(media.flashBeep, { fps, start, numFrames: 10 });
    const frameSize = v.width * v.height * 3;
    const bright = Array.from({ length: v.numFrames }, (_, t) => frameMean(v.frames, frameSize, t) > 128).indexOf(true);
    const a = await decodeAudio(media.flashBeep, { start, duration: 1 });
    const onset = firstLoud(a, 0.2);
    expect(bright).toBeGreaterThan(0);
    expect(onset).toBeGreaterThan(0);
    const videoTime = start + bright / fps;
    const audioTime = start + onset / 48000;
    expect(Math.abs(audioTime - FLASH_AT)).toBeLessThan(0.03);
    expect(Math.abs(videoTime - FLASH_AT)).toBeLessThanOrEqual(1 / fps + 1e-6);
  });
});

describe('decodeAudioVideo', () => {
  test('one ffmpeg run gives the same frames and samples as decodeVideo + decodeAudio', async () => {
    const video = { fps: 10, numFrames: 6, width: 32, height: 24 };
    const both = await decodeAudioVideo(media.flashBeep, 1.2, video, { sampleRate: 16000, duration: 0.6 });
    const frames = await decodeVideo(media.flashBeep, { ...video, start: 1.2 });
    const wave = await decodeAudio(media.flashBeep, { sampleRate: 16000, start: 1.2, duration: 0.6 });
    expect(both.video.numFrames).toBe(6);
    expect(Buffer.from(both.video.frames).equals(Buffer.from(frames.frames))).toBe(true);
    expect(both.audio.length).toBe(9600);
    expect(Array.from(both.audio)).toEqual(Array.from(wave));
    await expectMediaError(decodeAudioVideo(media.silent, 0, video, {}), 'no-audio-stream');
  });
});

describe('WAV', () => {
  test('writeWav then readWav round-trips and resamples 44.1 kHz to 48 kHz', async () => {
    // 0.4 s: wavefile's sinc resampler is pure JS (slow under jest's VM).
    const choir = await decodeAudio(CHOIR_FLAC, { sampleRate: 44100, start: 0.2, duration: 0.4 });
    const file = join(media.dir, 'choir.wav');
    await writeWav(file, choir, 44100);
    const same = await readWav(file);
    expect(same.sampleRate).toBe(44100);
    expect(same.samples.length).toBe(choir.length);
    let maxErr = 0;
    for (let i = 0; i < choir.length; i++) maxErr = Math.max(maxErr, Math.abs(same.samples[i] - choir[i]));
    expect(maxErr).toBeLessThan(1 / 16000); // 16-bit quantisation
    const resampled = await readWav(file, { sampleRate: 48000 });
    expect(resampled.sampleRate).toBe(48000);
    expect(Math.abs(resampled.samples.length - Math.round((choir.length * 48000) / 44100))).toBeLessThanOrEqual(1);
    const rms = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
    expect(rms(resampled.samples)).toBeCloseTo(rms(choir), 2);
  });

  test('a truncated WAV is reported as corrupt-media', async () => {
    const file = join(media.dir, 'cut.wav');
    await writeWav(file, new Float32Array(4800).fill(0.5), 48000);
    writeFileSync(file, readFileSync(file).subarray(0, 2000));
    await expectMediaError(readWav(file), 'corrupt-media', /truncated WAV file .*cut\.wav/);
  });
});
