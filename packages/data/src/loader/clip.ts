import { addGaussianNoise } from '../augment/audio.js';
import { Rng } from '@vatt/tokenizers';
import { colorJitter, cropResize, inceptionCropBox, vggCropBox } from '../augment/video.js';
import type { ColorJitterOptions } from '../augment/video.js';
import type { Sample, TimedCaption } from '../datasets/sample.js';
import { nodeMediaDecoder } from '../media/ffmpeg.js';
import { DEFAULT_TIMEOUT_MS } from '../media/process.js';
import { DEFAULT_SAMPLE_RATE } from '../media/sizes.js';
import type { DecodedVideo, MediaDecoder, MediaInfo } from '../media/types.js';
import { centerCrop, clipDuration, narrationWindow, nearestNarrations, randomWindow, threeCrops, uniformWindows } from '../sampling/clips.js';
import type { CropBox, TimeWindow } from '../sampling/clips.js';

/** Video side of a clip. Defaults are VATT pre-training (spec 1.1, 7). */
export interface VideoClipConfig {
  /** Frames per clip (32). */
  numFrames?: number;
  /** Sampling rate in frames per second (10). */
  fps?: number;
  /** Output crop size, square (224). */
  size?: number;
  /** Short side the frames are decoded at before cropping (default `size`). */
  minResize?: number;
  /** Training crop: 'vgg' (official code default: scale jitter + random crop) or 'inception' (paper: area [0.08,1], aspect [0.5,2]). */
  crop?: 'vgg' | 'inception';
  /** Random horizontal flip, p = 0.5 (training). Default true. */
  flip?: boolean;
  /** Colour jitter (training); `false` turns it off. Default: spec 7 ranges, p = 0.8. */
  colorJitter?: ColorJitterOptions | false;
  /** Evaluation: spatial crops per clip, 1 (centre) or 3 (spec 8.1). Default 1. */
  numCrops?: 1 | 3;
}

/** Audio side of a clip (spec 1.2). */
export interface AudioClipConfig {
  /** Hz (48 000). */
  sampleRate?: number;
  /** Samples per clip; default: the video clip's duration x sampleRate (3.2 s -> 153 600). */
  numSamples?: number;
  /** Gaussian noise std relative to max|x| during training (0.01); 0 turns it off. */
  noise?: number;
}

/** What `loadClip` produces from a Sample: decode, sample windows, augment. */
export interface ClipConfig {
  /** 'train': one random window and random augmentation; 'eval': `numClips` uniform windows, centre/3 crops, no randomness. */
  mode: 'train' | 'eval';
  /** `false` skips video. */
  video?: VideoClipConfig | false;
  /** `false` skips audio. */
  audio?: AudioClipConfig | false;
  /** Captions per clip (5, spec 6.3). */
  numCaptions?: number;
  /** Training window: 'uniform' over the video (DMVR, default) or 'narration' (MIL-NCE: around a random narration; needs timed captions). */
  window?: 'uniform' | 'narration';
  /** Evaluation windows per video (4 in spec 8.1/8.4; default 1). */
  numClips?: number;
  /** Time limit for each ffmpeg call (ms). */
  timeoutMs?: number;
  /**
   * ffmpeg threads per decode (default 1). Frame-threaded h264 decoding is not deterministic where a
   * seek lands on frames it cannot fully reconstruct (error concealment races), so one thread keeps a
   * seed's clip identical run to run; the loader decodes clips in parallel instead (same throughput here).
   */
  threads?: number;
}

/**
 * A decoded, augmented clip. Views are `numClips x numCrops` in eval mode (1 in training).
 * `video`: float32 in [0, 1], `[numViews, T, size, size, 3]`; `audio`: float32, `[numViews, numSamples]`.
 * `captions`: K narrations (timed captions) or the sample's captions; `textValid` false when the
 * sample has none (its text must be masked out of MIL-NCE, spec 6.2 step 6).
 */
export interface LoadedClip {
  id: string;
  numViews: number;
  video?: Float32Array;
  videoShape?: [number, number, number, number, number];
  audio?: Float32Array;
  audioShape?: [number, number];
  captions: string[];
  textValid: boolean;
  label?: string | number;
  labels?: (string | number)[];
  /** The time windows used (seconds), one per clip. */
  windows: TimeWindow[];
}

/** Resolved settings with every default filled in. */
export function resolveClipConfig(config: ClipConfig) {
  const video = config.video === false ? undefined : (config.video ?? {});
  const audio = config.audio === false ? undefined : (config.audio ?? {});
  const numFrames = video?.numFrames ?? 32;
  const fps = video?.fps ?? 10;
  const sampleRate = audio?.sampleRate ?? DEFAULT_SAMPLE_RATE;
  const seconds = clipDuration(numFrames, fps);
  const resolved = {
    mode: config.mode,
    video: video && {
      numFrames,
      fps,
      size: video.size ?? 224,
      minResize: video.minResize ?? video.size ?? 224,
      crop: video.crop ?? 'vgg',
      flip: video.flip ?? true,
      colorJitter: video.colorJitter ?? {},
      numCrops: video.numCrops ?? 1,
    },
    audio: audio && { sampleRate, numSamples: audio.numSamples ?? Math.round(seconds * sampleRate), noise: audio.noise ?? 0.01 },
    numCaptions: config.numCaptions ?? 5,
    numClips: config.mode === 'eval' ? (config.numClips ?? 1) : 1,
    window: config.window ?? 'uniform',
    timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    threads: config.threads ?? 1,
  };
  if (resolved.video && resolved.video.minResize < resolved.video.size) {
    throw new Error(`ClipConfig: video.minResize (${resolved.video.minResize}) must be >= video.size (${resolved.video.size})`);
  }
  return resolved;
}

/** Repeats `src` cyclically into `length` items (DMVR loops clips shorter than the window). */
function loop<T extends Uint8Array | Float32Array>(src: T, length: number, make: (n: number) => T): T {
  if (src.length === length) return src;
  const out = make(length);
  if (src.length === 0) return out;
  for (let o = 0; o < length; o += src.length) out.set(src.subarray(0, Math.min(src.length, length - o)), o);
  return out;
}

function isTimed(captions: Sample['captions']): captions is TimedCaption[] {
  return captions !== undefined && captions.length > 0 && typeof captions[0] !== 'string';
}

function chooseCaptions(sample: Sample, window: TimeWindow, k: number, mode: 'train' | 'eval', rng: Rng): { captions: string[]; textValid: boolean } {
  const captions = sample.captions;
  if (isTimed(captions)) {
    const { texts, valid } = nearestNarrations(captions, window, k);
    return { captions: texts, textValid: valid };
  }
  const plain = (captions ?? []) as string[];
  if (plain.length === 0) return { captions: Array(k).fill(''), textValid: false };
  if (mode === 'eval') return { captions: [...plain], textValid: true };
  // Training on plain caption lists (e.g. MSR-VTT's 20 per video): K drawn at random, cycling if fewer.
  const order = rng.shuffle(plain.map((_, i) => i));
  return { captions: Array.from({ length: k }, (_, i) => plain[order[i % order.length]]), textValid: true };
}

/**
 * Loads one Sample into a clip: probes the media, picks the time window(s) (video and audio start
 * at the same time: spec 7 A/V sync), decodes with ffmpeg, crops/resizes/flips/jitters the frames
 * and adds audio noise. Deterministic for a given `seed`. Throws MediaError on bad media.
 *
 * @example
 * const clip = await loadClip({ id: 'a', video: 'a.mp4' }, { mode: 'train', video: { numFrames: 8, size: 32 } }, 7);
 * // clip.videoShape = [1, 8, 32, 32, 3], clip.audioShape = [1, 38400]
 */
export async function loadClip(sample: Sample, config: ClipConfig, seed: number, decoder: MediaDecoder = nodeMediaDecoder): Promise<LoadedClip> {
  const cfg = resolveClipConfig(config);
  const rng = new Rng(seed);
  const videoPath = cfg.video ? sample.video : undefined;
  const audioPath = cfg.audio ? (sample.audio ?? sample.video) : undefined;
  if (cfg.video && !videoPath) throw new Error(`sample "${sample.id}" has no video path, but the clip config asks for video`);
  if (cfg.audio && !audioPath) throw new Error(`sample "${sample.id}" has no audio or video path, but the clip config asks for audio`);
  const { timeoutMs, threads } = cfg;

  // Duration of the source, from the video file or else the audio file.
  const videoInfo: MediaInfo | undefined = videoPath ? await decoder.probeMedia(videoPath, timeoutMs) : undefined;
  const duration = videoInfo?.duration ?? (await decoder.probeMedia(audioPath!, timeoutMs)).duration;
  const range = { start: Math.min(sample.start ?? 0, duration), end: Math.min(sample.end ?? duration, duration) };
  const seconds = cfg.video ? cfg.video.numFrames / cfg.video.fps : cfg.audio!.numSamples / cfg.audio!.sampleRate;
  const windows =
    cfg.mode === 'eval'
      ? uniformWindows(range, seconds, cfg.numClips)
      : cfg.window === 'narration' && isTimed(sample.captions)
        ? [narrationWindow(sample.captions, range, seconds, rng)]
        : [randomWindow(range, seconds, rng)];
  const middle = windows[Math.floor(windows.length / 2)];
  const text = chooseCaptions(sample, middle, cfg.numCaptions, cfg.mode, rng);

  // Decode each window: one ffmpeg run for frames + audio when both come from the same file.
  const videoCfg = cfg.video && videoPath ? cfg.video : undefined;
  const audioCfg = cfg.audio && audioPath ? cfg.audio : undefined;
  const videoViews: Float32Array[] = [];
  const audioRows: Float32Array[] = [];
  for (const window of windows) {
    const videoOptions = videoCfg && {
      fps: videoCfg.fps,
      numFrames: videoCfg.numFrames,
      width: videoCfg.minResize,
      height: videoCfg.minResize,
      resize: 'shortSide' as const,
      info: videoInfo,
      timeoutMs,
      threads,
    };
    const audioOptions = audioCfg && { sampleRate: audioCfg.sampleRate, duration: audioCfg.numSamples / audioCfg.sampleRate, timeoutMs };
    let decoded: DecodedVideo | undefined;
    let wave: Float32Array | undefined;
    if (videoOptions && audioOptions && audioPath === videoPath) {
      ({ video: decoded, audio: wave } = await decoder.decodeAudioVideo(videoPath!, window.start, videoOptions, audioOptions));
    } else {
      if (videoOptions) decoded = await decoder.decodeVideo(videoPath!, { ...videoOptions, start: window.start });
      if (audioOptions) wave = await decoder.decodeAudio(audioPath!, { ...audioOptions, start: window.start });
    }
    if (videoCfg && decoded) {
      const { numFrames, size } = videoCfg;
      const frames = loop(decoded.frames, numFrames * decoded.width * decoded.height * 3, (n) => new Uint8Array(n));
      const shape = { numFrames, height: decoded.height, width: decoded.width };
      if (cfg.mode === 'train') {
        const box: CropBox =
          videoCfg.crop === 'inception' ? inceptionCropBox(shape.height, shape.width, rng) : vggCropBox(shape.height, shape.width, size, rng);
        const flip = videoCfg.flip && rng.chance(0.5);
        const out = cropResize(frames, shape, box, size, size, { flip, scale: 1 / 255 });
        if (videoCfg.colorJitter !== false) colorJitter(out, { numFrames, height: size, width: size }, rng, videoCfg.colorJitter);
        videoViews.push(out);
      } else {
        const boxes = videoCfg.numCrops === 3 ? threeCrops(shape.height, shape.width, size) : [centerCrop(shape.height, shape.width, size)];
        for (const box of boxes) videoViews.push(cropResize(frames, shape, box, size, size, { scale: 1 / 255 }));
      }
    }
    if (audioCfg && wave) {
      const samples = Float32Array.from(loop(wave, audioCfg.numSamples, (n) => new Float32Array(n)));
      if (cfg.mode === 'train' && audioCfg.noise > 0) addGaussianNoise(samples, rng, audioCfg.noise);
      audioRows.push(samples);
    }
  }
  const numViews = videoCfg ? videoViews.length : windows.length;
  const concat = (parts: Float32Array[]) => {
    const out = new Float32Array(parts.reduce((n, v) => n + v.length, 0));
    parts.forEach((v, i) => out.set(v, i * v.length));
    return out;
  };
  const video = videoCfg ? concat(videoViews) : undefined;
  // One audio row per view: the crops of one window share its audio.
  const cropsPerWindow = numViews / windows.length;
  const audio = audioCfg ? concat(Array.from({ length: numViews }, (_, v) => audioRows[Math.floor(v / cropsPerWindow)])) : undefined;

  return {
    id: sample.id,
    numViews,
    ...(video && cfg.video
      ? { video, videoShape: [numViews, cfg.video.numFrames, cfg.video.size, cfg.video.size, 3] as [number, number, number, number, number] }
      : {}),
    ...(audio && cfg.audio ? { audio, audioShape: [numViews, cfg.audio.numSamples] as [number, number] } : {}),
    captions: text.captions,
    textValid: text.textValid,
    ...(sample.label !== undefined ? { label: sample.label } : {}),
    ...(sample.labels !== undefined ? { labels: sample.labels } : {}),
    windows,
  };
}
