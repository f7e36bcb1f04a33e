import { addGaussianNoise } from '../augment/audio.js';
import { Rng } from '@vatt/tokenizers/random';
import { colorJitter, cropResize, inceptionCropBox, vggCropBox } from '../augment/video.js';
import type { ColorJitterOptions } from '../augment/video.js';
import type { Sample } from '../datasets/sample.js';
import { isTimed } from '../datasets/sample.js';
import { MediaError } from '../errors.js';
import { nodeMediaDecoder } from '../media/ffmpeg.js';
import { DEFAULT_TIMEOUT_MS } from '../media/process.js';
import { DEFAULT_SAMPLE_RATE, outputFrameSize } from '../media/sizes.js';
import type { DecodedVideo, MediaDecoder, MediaInfo } from '../media/types.js';
import { centerCrop, clipDuration, narrationWindow, nearestNarrations, randomWindow, threeCrops, uniformWindows } from '../sampling/clips.js';
import type { CropBox, TimeWindow } from '../sampling/clips.js';
import { storedFramesView, storedSample } from '../shards/stored.js';
import type { StoredClip } from '../shards/stored.js';

/** Video side of a clip. Defaults are VATT pre-training (docs/numerics.md §1.1, 7). */
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
  /** Colour jitter (training); `false` turns it off. Default: docs/numerics.md §7 ranges, p = 0.8. */
  colorJitter?: ColorJitterOptions | false;
  /** Evaluation: spatial crops per clip, 1 (centre) or 3 (docs/numerics.md §8.1). Default 1. */
  numCrops?: 1 | 3;
}

/** Audio side of a clip (docs/numerics.md §1.2). */
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
  /** Captions per clip (5, docs/numerics.md §6.3). */
  numCaptions?: number;
  /** Training window: 'uniform' over the video (DMVR, default) or 'narration' (MIL-NCE: around a random narration; needs timed captions). */
  window?: 'uniform' | 'narration';
  /** Evaluation windows per video (4 in docs/numerics.md §8.1/8.4; default 1). */
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
 * sample has none (its text must be masked out of MIL-NCE, docs/numerics.md §6.2 step 6).
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

/** Resolved clip settings (`resolveClipConfig`). */
type ResolvedClipConfig = ReturnType<typeof resolveClipConfig>;

/**
 * One window's decoded media. `frames` are rgb24 `[numFrames, height, width, 3]`; crop boxes are drawn in
 * `reference`, the frame the ffmpeg path decodes at (short side = minResize), then scaled to the frames' own
 * size, so that stored frames of any size get the same augmentation geometry in one bilinear pass. `frames.data`
 * may be a view of a stored clip's frames (kept for later epochs, shared with other threads): it is only read.
 */
interface WindowMedia {
  frames?: { data: Uint8Array; numFrames: number; height: number; width: number; reference: { height: number; width: number } };
  audio?: Float32Array;
}

function scaleBox(box: CropBox, fy: number, fx: number): CropBox {
  return fy === 1 && fx === 1 ? box : { top: box.top * fy, left: box.left * fx, height: box.height * fy, width: box.width * fx };
}

/**
 * The one clip pipeline of both sources (media files through ffmpeg, prepared shards): windows, captions,
 * then per window crop + flip + colour jitter and audio noise, all drawn from `rng` in this order.
 */
async function assembleClip(
  sample: Sample,
  range: TimeWindow,
  cfg: ResolvedClipConfig,
  rng: Rng,
  withVideo: boolean,
  withAudio: boolean,
  fetchWindow: (window: TimeWindow) => Promise<WindowMedia>,
  out?: ClipBuffers,
): Promise<LoadedClip> {
  const seconds = cfg.video ? cfg.video.numFrames / cfg.video.fps : cfg.audio!.numSamples / cfg.audio!.sampleRate;
  const windows =
    cfg.mode === 'eval'
      ? uniformWindows(range, seconds, cfg.numClips)
      : cfg.window === 'narration' && isTimed(sample.captions)
        ? [narrationWindow(sample.captions, range, seconds, rng)]
        : [randomWindow(range, seconds, rng)];
  const middle = windows[Math.floor(windows.length / 2)];
  const text = chooseCaptions(sample, middle, cfg.numCaptions, cfg.mode, rng);

  const videoCfg = cfg.video && withVideo ? cfg.video : undefined;
  const audioCfg = cfg.audio && withAudio ? cfg.audio : undefined;
  // Caller-owned output buffers only fit a clip of one view.
  const into = windows.length === 1 && (cfg.mode === 'train' || videoCfg?.numCrops !== 3) ? out : undefined;
  const videoViews: Float32Array[] = [];
  const audioRows: Float32Array[] = [];
  for (const window of windows) {
    const media = await fetchWindow(window);
    if (videoCfg && media.frames) {
      const { numFrames, size } = videoCfg;
      const { data, height, width, reference } = media.frames;
      const frames = loop(data.subarray(0, media.frames.numFrames * height * width * 3), numFrames * width * height * 3, (n) => new Uint8Array(n));
      const shape = { numFrames, height, width };
      const fy = height / reference.height;
      const fx = width / reference.width;
      if (cfg.mode === 'train') {
        const box: CropBox =
          videoCfg.crop === 'inception' ? inceptionCropBox(reference.height, reference.width, rng) : vggCropBox(reference.height, reference.width, size, rng);
        const flip = videoCfg.flip && rng.chance(0.5);
        const view = cropResize(frames, shape, scaleBox(box, fy, fx), size, size, { flip, scale: 1 / 255, out: into?.video });
        if (videoCfg.colorJitter !== false) colorJitter(view, { numFrames, height: size, width: size }, rng, videoCfg.colorJitter);
        videoViews.push(view);
      } else {
        const boxes = videoCfg.numCrops === 3 ? threeCrops(reference.height, reference.width, size) : [centerCrop(reference.height, reference.width, size)];
        for (const box of boxes) videoViews.push(cropResize(frames, shape, scaleBox(box, fy, fx), size, size, { scale: 1 / 255, out: into?.video }));
      }
    }
    if (audioCfg && media.audio) {
      const looped = loop(media.audio, audioCfg.numSamples, (n) => new Float32Array(n));
      // A copy when the window is the decoder's (or the stored clip's) own array: the noise is added in place.
      const samples = into?.audio ? (into.audio.set(looped), into.audio) : looped === media.audio ? looped.slice() : looped;
      if (cfg.mode === 'train' && audioCfg.noise > 0) addGaussianNoise(samples, rng, audioCfg.noise);
      audioRows.push(samples);
    }
  }
  const numViews = videoCfg ? videoViews.length : windows.length;
  const concat = (parts: Float32Array[]) => {
    if (parts.length === 1) return parts[0];
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

/**
 * Arrays a clip of one view is written into instead of new ones (`[T, size, size, 3]` video, `[numSamples]` audio):
 * the loader hands workers buffers in shared memory and reuses them, so that a clip costs no fresh memory in
 * the worker (page faults) and no transfer.
 */
export interface ClipBuffers {
  video?: Float32Array;
  audio?: Float32Array;
}

/** Probe results of a sample's media files; the loader keeps them so that later epochs run one ffmpeg per clip. */
export interface SampleProbes {
  video?: MediaInfo;
  audio?: MediaInfo;
}

/**
 * Loads one Sample into a clip: probes the media, picks the time window(s) (video and audio start
 * at the same time: docs/numerics.md §7 A/V sync), decodes with ffmpeg, crops/resizes/flips/jitters the frames
 * and adds audio noise. Deterministic for a given `seed`. Throws MediaError on bad media.
 *
 * @example
 * const clip = await loadClip({ id: 'a', video: 'a.mp4' }, { mode: 'train', video: { numFrames: 8, size: 32 } }, 7);
 * // clip.videoShape = [1, 8, 32, 32, 3], clip.audioShape = [1, 38400]
 */
export async function loadClip(sample: Sample, config: ClipConfig, seed: number, decoder: MediaDecoder = nodeMediaDecoder): Promise<LoadedClip> {
  return (await loadClipProbed(sample, config, seed, decoder)).clip;
}

/**
 * `loadClip` given what is already known of the sample's files (`known`, from an earlier epoch): a known file
 * is not probed again, so a clip costs one ffmpeg run (frames + audio together). Returns the probes it used.
 *
 * @example
 * const first = await loadClipProbed(sample, config, 1);
 * const again = await loadClipProbed(sample, config, 2, nodeMediaDecoder, first.probes); // no ffprobe
 */
export async function loadClipProbed(
  sample: Sample,
  config: ClipConfig,
  seed: number,
  decoder: MediaDecoder = nodeMediaDecoder,
  known: SampleProbes = {},
): Promise<{ clip: LoadedClip; probes: SampleProbes }> {
  const cfg = resolveClipConfig(config);
  const rng = new Rng(seed);
  const videoPath = cfg.video ? sample.video : undefined;
  const audioPath = cfg.audio ? (sample.audio ?? sample.video) : undefined;
  if (cfg.video && !videoPath) throw new Error(`sample "${sample.id}" has no video path, but the clip config asks for video`);
  if (cfg.audio && !audioPath) throw new Error(`sample "${sample.id}" has no audio or video path, but the clip config asks for audio`);
  const { timeoutMs, threads } = cfg;

  // Duration of the source, from the video file or else the audio file.
  const probes: SampleProbes = {};
  if (videoPath) probes.video = known.video ?? (await decoder.probeMedia(videoPath, timeoutMs));
  else probes.audio = known.audio ?? (await decoder.probeMedia(audioPath!, timeoutMs));
  const videoInfo = probes.video;
  const duration = (videoInfo ?? probes.audio)!.duration;
  const range = { start: Math.min(sample.start ?? 0, duration), end: Math.min(sample.end ?? duration, duration) };

  // Decode each window: one ffmpeg run for frames + audio when both come from the same file.
  const videoCfg = cfg.video && videoPath ? cfg.video : undefined;
  const audioCfg = cfg.audio && audioPath ? cfg.audio : undefined;
  const fetchWindow = async (window: TimeWindow): Promise<WindowMedia> => {
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
    return {
      audio: wave,
      frames: decoded && {
        data: decoded.frames,
        numFrames: decoded.numFrames,
        height: decoded.height,
        width: decoded.width,
        reference: { height: decoded.height, width: decoded.width },
      },
    };
  };
  const clip = await assembleClip(sample, range, cfg, rng, Boolean(videoCfg), Boolean(audioCfg), fetchWindow);
  return { clip, probes };
}

/**
 * Loads a prepared sample (a shard record, or a decoded clip held in memory) into a clip: the same windows,
 * captions and augmentation draws as `loadClip`, on the stored frames and waveform instead of an ffmpeg
 * decode. Stored frames may be larger than `minResize` (margin for crops): boxes are drawn in the
 * minResize frame and mapped onto them. Frames of a window are the stored frames nearest to its sampling
 * times; a window past the end loops what is left (as the ffmpeg path does). Deterministic for a `seed`. A clip of
 * one view is written into `out` when given (see `ClipBuffers`).
 *
 * @example
 * const clip = await loadStoredClip(record, { mode: 'train', video: { numFrames: 8, size: 32 }, audio: { sampleRate: 5120, numSamples: 4096 } }, 7);
 */
export async function loadStoredClip(stored: StoredClip, config: ClipConfig, seed: number, out?: ClipBuffers): Promise<LoadedClip> {
  const cfg = resolveClipConfig(config);
  const rng = new Rng(seed);
  const { meta } = stored;
  if (cfg.video && (!meta.video || !stored.frames)) throw new MediaError('no-video-stream', `stored sample "${meta.id}" has no frames`, meta.source);
  if (cfg.audio && (!meta.audio || !stored.audio)) throw new MediaError('no-audio-stream', `stored sample "${meta.id}" has no audio`, meta.source);
  if (cfg.audio && meta.audio!.sampleRate !== cfg.audio.sampleRate) {
    throw new Error(
      `stored sample "${meta.id}" has audio at ${meta.audio!.sampleRate} Hz, the clip config asks for ${cfg.audio.sampleRate} Hz: ` +
        'prepare the shards at that rate',
    );
  }
  const sample = storedSample(meta);
  const range = { start: meta.clipStart, end: meta.clipStart + meta.duration };
  const stored_ = meta.video;
  const reference =
    stored_ && outputFrameSize(stored_.width, stored_.height, { width: cfg.video?.minResize, height: cfg.video?.minResize, resize: 'shortSide' });
  const fetchWindow = async (window: TimeWindow): Promise<WindowMedia> => {
    const media: WindowMedia = {};
    if (cfg.video && stored_ && reference) {
      const { numFrames, fps } = cfg.video;
      const offset = window.start - meta.clipStart;
      // Stored frame nearest to each sampling time (ffmpeg's fps filter also takes the nearest frame).
      const wanted = Array.from({ length: numFrames }, (_, i) => Math.round((offset + i / fps) * stored_.fps));
      let present = wanted.filter((t) => t >= 0 && t < stored_.numFrames);
      if (present.length === 0) present = [Math.max(0, Math.min(stored_.numFrames - 1, wanted[0]))];
      // A view of the stored frames when they are consecutive (read only: cropResize and loop copy out of it).
      media.frames = { data: await storedFramesView(stored, present), numFrames: present.length, height: stored_.height, width: stored_.width, reference };
    }
    if (cfg.audio && stored.audio) {
      const from = Math.max(0, Math.round((window.start - meta.clipStart) * meta.audio!.sampleRate));
      media.audio = stored.audio.subarray(Math.min(from, stored.audio.length), Math.min(from + cfg.audio.numSamples, stored.audio.length));
    }
    return media;
  };
  return assembleClip(sample, range, cfg, rng, Boolean(cfg.video), Boolean(cfg.audio), fetchWindow, out);
}
