import { concatBytes } from '../bytes.js';
import type { Sample } from '../datasets/sample.js';
import { MediaError } from '../errors.js';
import { decodeClip } from '../media/ffmpeg.js';
import type { DecodedClip } from '../media/types.js';
import { encodeJpegFrame } from './stored.js';
import type { FrameEncoding, StoredClip, StoredClipMeta } from './stored.js';

/** How a sample is decoded once and stored (prepared shards, the loader's clip cache). */
export interface StoreSettings {
  /** Store frames (default true). */
  video?: boolean;
  /** Store audio (default true). */
  audio?: boolean;
  /** Frames per second stored (default 10, VATT's rate). */
  fps?: number;
  /** Short side of the stored frames in pixels (native size if omitted). */
  shortSide?: number;
  /** Scale sources smaller than `shortSide` up to it (default false: keep their pixels, the loader scales when cropping). */
  upscale?: boolean;
  /** Mono audio rate in Hz (default 48 000, docs/numerics.md §1.2). */
  sampleRate?: number;
  /** Frame encoding (default 'raw'; see prepareShards for the measurements behind it). */
  frames?: FrameEncoding;
  /** JPEG quality, 1-100 (default 90). */
  jpegQuality?: number;
  /**
   * JPEG chroma subsampling (default '4:2:0', what ffmpeg's mjpeg and so DMVR's generate_from_file.py write).
   * '4:4:4' keeps full colour resolution: on frames of a few dozen pixels 4:2:0 costs a lot (testsrc2 at 37 px:
   * mean abs error 16/255 against 3.6 with 4:4:4, for 1.4x the bytes; at 256 px 2.8 against 1.2).
   */
  jpegChroma?: '4:2:0' | '4:4:4';
  /** Store at most this many seconds from the sample's start (default: all of it). */
  maxSeconds?: number;
  /** Samples with less than this many seconds of media are skipped as 'too-short' (default 0: only empty ones). */
  minSeconds?: number;
  /** Time limit of the ffmpeg run (ms, default 60 000; a long video needs more). */
  timeoutMs?: number;
}

/**
 * `StoreSettings` with every default filled in.
 *
 * @example
 * resolveStoreSettings({ shortSide: 74 }); // { video: true, audio: true, fps: 10, shortSide: 74, sampleRate: 48000, frames: 'raw', ... }
 */
export function resolveStoreSettings(settings: StoreSettings = {}) {
  const resolved = {
    video: settings.video ?? true,
    audio: settings.audio ?? true,
    fps: settings.fps ?? 10,
    shortSide: settings.shortSide,
    upscale: settings.upscale ?? false,
    sampleRate: settings.sampleRate ?? 48_000,
    frames: settings.frames ?? ('raw' as FrameEncoding),
    jpegQuality: settings.jpegQuality ?? 90,
    jpegChroma: settings.jpegChroma ?? ('4:2:0' as '4:2:0' | '4:4:4'),
    maxSeconds: settings.maxSeconds,
    minSeconds: settings.minSeconds ?? 0,
    timeoutMs: settings.timeoutMs ?? 60_000,
  };
  if (!resolved.video && !resolved.audio) throw new Error('store settings: keep video, audio or both');
  if (!(resolved.fps > 0)) throw new Error(`store settings: expected fps > 0, got ${resolved.fps}`);
  if (resolved.frames !== 'raw' && resolved.frames !== 'jpeg')
    throw new Error(`store settings: frames must be 'raw' or 'jpeg', got ${String(resolved.frames)}`);
  if (!(Number.isInteger(resolved.jpegQuality) && resolved.jpegQuality >= 1 && resolved.jpegQuality <= 100)) {
    throw new Error(`store settings: expected jpegQuality in 1..100, got ${resolved.jpegQuality}`);
  }
  return resolved;
}

/** A skip reason that is not a MediaError (the loader and prepare report `code`). */
function skip(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * Decodes a sample ONCE into what a shard stores: frames at `fps` with the short side at `shortSide` (raw rgb24
 * or one JPEG per frame) and its mono waveform, both from `sample.start` (to `sample.end`, at most `maxSeconds`),
 * in one ffmpeg run when frames and audio come from the same file (no probe: `decodeClip`).
 *
 * @example
 * const clip = await decodeStoredClip({ id: 'a', video: 'a.mp4', captions: ['a dog'] }, '00000007', { shortSide: 72, sampleRate: 48000 });
 * // clip.meta.video = { encoding: 'raw', numFrames: 20, width: 72, height: 72, fps: 10 }, clip.audio.length = 96000
 */
export async function decodeStoredClip(sample: Sample, key: string, settings: StoreSettings = {}): Promise<StoredClip> {
  const s = resolveStoreSettings(settings);
  const videoPath = s.video ? sample.video : undefined;
  const audioPath = s.audio ? (sample.audio ?? sample.video) : undefined;
  if (s.video && !videoPath) throw new MediaError('no-video-stream', `sample "${sample.id}" has no video file`);
  if (s.audio && !audioPath) throw new MediaError('no-audio-stream', `sample "${sample.id}" has no audio or video file`);
  const start = sample.start ?? 0;
  let duration = sample.end !== undefined ? sample.end - start : undefined;
  if (s.maxSeconds !== undefined) duration = Math.min(duration ?? Infinity, s.maxSeconds);
  if (duration !== undefined && !(duration > 0)) throw skip('too-short', `sample "${sample.id}" spans no time (start ${start}, end ${sample.end})`);

  const jpegs: Promise<Uint8Array>[] = [];
  const onFrame =
    s.frames === 'jpeg' ? (rgb: Uint8Array, w: number, h: number) => void jpegs.push(encodeJpegFrame(rgb, w, h, s.jpegQuality, s.jpegChroma)) : undefined;
  const common = { start: start > 0 ? start : undefined, duration, timeoutMs: s.timeoutMs };
  const video = videoPath ? { fps: s.fps, shortSide: s.shortSide, upscale: s.upscale, onFrame } : undefined;
  const audio = audioPath ? { sampleRate: s.sampleRate } : undefined;
  let decoded: DecodedClip;
  if (videoPath && audioPath && videoPath !== audioPath) {
    const [v, a] = [await decodeClip(videoPath, { ...common, video }), await decodeClip(audioPath, { ...common, audio })];
    decoded = { video: v.video, audio: a.audio, sampleRate: a.sampleRate, sourceDuration: v.sourceDuration };
  } else {
    decoded = await decodeClip((videoPath ?? audioPath)!, { ...common, video, audio });
  }

  const meta: StoredClipMeta = { key, id: sample.id, source: videoPath ?? audioPath, clipStart: start, duration: Infinity };
  if (decoded.sourceDuration !== undefined) meta.sourceDuration = decoded.sourceDuration;
  if (sample.captions !== undefined) meta.captions = sample.captions;
  if (sample.label !== undefined) meta.label = sample.label;
  if (sample.labels !== undefined) meta.labels = sample.labels;
  if (sample.split !== undefined) meta.split = sample.split;
  const clip: StoredClip = { meta };
  if (decoded.video) {
    const v = decoded.video;
    meta.video = { encoding: s.frames, numFrames: v.numFrames, width: v.width, height: v.height, fps: s.fps };
    if (s.frames === 'jpeg') {
      const images = await Promise.all(jpegs);
      meta.video.frameBytes = images.map((j) => j.byteLength);
      clip.frames = concatBytes(images);
    } else clip.frames = v.frames;
    meta.duration = v.numFrames / s.fps;
  }
  if (decoded.audio) {
    meta.audio = { sampleRate: s.sampleRate, numSamples: decoded.audio.length, channels: 1 };
    clip.audio = decoded.audio;
    // The span is the frames' when there are frames (audio that ends sooner is looped by the loader, as a
    // window decoded by ffmpeg past the end of its audio is), else the audio's.
    if (!decoded.video) meta.duration = decoded.audio.length / s.sampleRate;
  }
  if (!(meta.duration > 0)) throw skip('too-short', `sample "${sample.id}" decoded to no media`);
  if (meta.duration < s.minSeconds) throw skip('too-short', `sample "${sample.id}" has ${meta.duration.toFixed(2)} s of media, less than ${s.minSeconds} s`);
  return clip;
}
