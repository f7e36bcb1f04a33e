import type { Sample, TimedCaption } from '../datasets/sample.js';

/**
 * How prepared frames are stored.
 * - 'raw': rgb24 `[T, H, W, 3]`, nothing to decode when loading.
 * - 'jpeg': one baseline JPEG per frame (sharp / libvips), back to back; the TFRecord layout DMVR reads.
 */
export type FrameEncoding = 'raw' | 'jpeg';

/** Geometry and encoding of the stored frames of one sample. */
export interface StoredVideoMeta {
  encoding: FrameEncoding;
  numFrames: number;
  width: number;
  height: number;
  fps: number;
  /** JPEG: the byte length of each frame, in order (the images are stored back to back). */
  frameBytes?: number[];
}

/** The stored mono waveform of one sample. */
export interface StoredAudioMeta {
  sampleRate: number;
  numSamples: number;
  channels: 1;
}

/**
 * What a shard stores about one sample besides its media: the `<key>.json` member of a tar shard (a
 * TFRecord carries the same facts in standard SequenceExample features). Times are seconds in the source file.
 */
export interface StoredClipMeta {
  /** The sample's key in its shard (its position in the prepared list, zero-padded; WebDataset `__key__`). */
  key: string;
  id: string;
  /** The media file the sample was decoded from (its video, else its audio). */
  source?: string;
  /** Source time of the first stored frame and audio sample. */
  clipStart: number;
  /** Seconds stored: of the frames when there are frames, else of the audio. */
  duration: number;
  /** The source file's duration, as ffmpeg reported it. */
  sourceDuration?: number;
  captions?: string[] | TimedCaption[];
  label?: string | number;
  labels?: (string | number)[];
  split?: string;
  video?: StoredVideoMeta;
  audio?: StoredAudioMeta;
}

/** One prepared sample: metadata, frames as stored (raw or JPEG bytes), float32 audio. */
export interface StoredClip {
  meta: StoredClipMeta;
  frames?: Uint8Array;
  audio?: Float32Array;
}

/**
 * The Sample a stored clip stands for (captions and labels for the loader; its span as `start`/`end`).
 *
 * @example
 * storedSample(clip.meta); // { id: 'clip7', start: 0, end: 2, captions: ['a dog barks'], label: 'dog' }
 */
export function storedSample(meta: StoredClipMeta): Sample {
  const sample: Sample = { id: meta.id, start: meta.clipStart, end: meta.clipStart + meta.duration };
  if (meta.captions !== undefined) sample.captions = meta.captions;
  if (meta.label !== undefined) sample.label = meta.label;
  if (meta.labels !== undefined) sample.labels = meta.labels;
  if (meta.split !== undefined) sample.split = meta.split;
  return sample;
}

/** Bytes a stored clip holds in memory (shuffle buffers and caches are bounded by it). */
export function storedClipBytes(clip: StoredClip): number {
  return (clip.frames?.byteLength ?? 0) + (clip.audio?.byteLength ?? 0) + 512;
}

/**
 * Shared-memory buffers handed back for reuse, by byte length, up to a budget. The loader gives back a shard
 * record's buffers once its clip is made and the shard readers take them for the next records: memory fresh from
 * the system costs a page fault per 4 KB on its first write (most of the tar reader's time at 8 x 64 x 64),
 * reused memory none. Only buffers the pool handed out come back, and readers take from it only for members whose
 * size recurs (raw frames, waveforms; not JPEG frames), so that it never fills with buffers nobody asks for again.
 */
export class SharedBufferPool {
  private readonly free = new Map<number, SharedArrayBuffer[]>();
  private readonly issued = new WeakSet<SharedArrayBuffer>();
  private held = 0;

  constructor(private readonly budgetBytes: number) {}

  /** A buffer of exactly `size` bytes: a given-back one (old contents: overwrite it all), else a new one. */
  take(size: number): SharedArrayBuffer {
    const reused = this.free.get(size)?.pop();
    if (reused) {
      this.held -= size;
      return reused;
    }
    const fresh = new SharedArrayBuffer(size);
    this.issued.add(fresh);
    return fresh;
  }

  /** Gives `buffer` back (nothing may use it afterwards); dropped when the pool is full or did not hand it out. */
  give(buffer: SharedArrayBuffer): void {
    const list = this.free.get(buffer.byteLength) ?? [];
    if (!this.issued.has(buffer) || this.held + buffer.byteLength > this.budgetBytes || list.includes(buffer)) return;
    list.push(buffer);
    this.free.set(buffer.byteLength, list);
    this.held += buffer.byteLength;
  }
}

/** The pool of this thread's shard-record buffers (at most 256 MB kept). */
export const recordBuffers = new SharedBufferPool(256 * 2 ** 20);

/**
 * Gives a stored clip's shared buffers back to `recordBuffers`: for the loader, once a record's clip is made
 * (neither the clip nor anything else refers to the record's arrays then). The clip must not be used afterwards.
 */
export function releaseStoredClip(clip: StoredClip): void {
  for (const a of [clip.frames, clip.audio]) if (a && a.buffer instanceof SharedArrayBuffer) recordBuffers.give(a.buffer);
}

/** A copy of `bytes` in shared memory (see `shareStoredClip`). */
export function sharedBytes(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  out.set(bytes);
  return out;
}

/** A float32 copy of little-endian `bytes` in shared memory (a tar member need not be 4-byte aligned, so bytes are copied). */
export function sharedFloats(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(recordBuffers.take(Math.floor(bytes.byteLength / 4) * 4));
  new Uint8Array(out.buffer).set(bytes.subarray(0, out.byteLength));
  return out;
}

/**
 * The clip with its arrays in SharedArrayBuffers (copied once, unless they already are): a task posted to a
 * worker then shares its frames instead of cloning them (a clone costs as much as augmenting a small clip),
 * and the main thread still holds them should the task have to be run again after a worker crash.
 */
export function shareStoredClip(clip: StoredClip): StoredClip {
  const shared = (a: Uint8Array | Float32Array | undefined) => a === undefined || a.buffer instanceof SharedArrayBuffer;
  if (shared(clip.frames) && shared(clip.audio)) return clip;
  const out: StoredClip = { meta: clip.meta };
  if (clip.frames) out.frames = clip.frames.buffer instanceof SharedArrayBuffer ? clip.frames : sharedBytes(clip.frames);
  if (clip.audio) {
    const { audio } = clip;
    out.audio = audio.buffer instanceof SharedArrayBuffer ? audio : sharedFloats(new Uint8Array(audio.buffer, audio.byteOffset, audio.byteLength));
  }
  return out;
}

/** The buffers of a (compact) stored clip, for `postMessage` transfer lists. */
export function storedTransferables(clip: StoredClip): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const a of [clip.frames, clip.audio]) if (a && a.buffer instanceof ArrayBuffer && !out.includes(a.buffer)) out.push(a.buffer);
  return out;
}

type Sharp = typeof import('sharp').default;
let sharpModule: Promise<Sharp> | undefined;
/** sharp (libvips), loaded on first use: only JPEG shards need it. */
export function loadSharp(): Promise<Sharp> {
  // The default export is the constructor (CommonJS `module.exports` as seen from ESM and from tsup's CJS build).
  sharpModule ??= import('sharp').then((m) => (m.default ?? m) as Sharp);
  return sharpModule;
}

/**
 * Encodes one rgb24 frame as a baseline JPEG (libvips' default quantisation at `quality`, chroma 4:2:0 or 4:4:4).
 *
 * @example
 * const jpeg = await encodeJpegFrame(rgb, 72, 72, 90);
 */
export async function encodeJpegFrame(
  rgb: Uint8Array,
  width: number,
  height: number,
  quality: number,
  chroma: '4:2:0' | '4:4:4' = '4:2:0',
): Promise<Uint8Array> {
  const sharp = await loadSharp();
  return sharp(rgb, { raw: { width, height, channels: 3 } })
    .jpeg({ quality, chromaSubsampling: chroma })
    .toBuffer();
}

/**
 * `storedFrames` without the copy where there is nothing to gather: raw frames at consecutive indices (the
 * stored rate is the clip's) are a view of the clip's own frames, to be read only (not written into, not
 * transferred); other indices, and JPEG frames, are a new array as `storedFrames` gives.
 *
 * @example
 * const rgb = await storedFramesView(clip, [4, 5, 6, 7]); // clip.frames.subarray(4 * frameSize, 8 * frameSize)
 */
export async function storedFramesView(clip: StoredClip, indices: readonly number[]): Promise<Uint8Array> {
  const video = clip.meta.video;
  const first = indices[0];
  if (
    video?.encoding === 'raw' &&
    clip.frames &&
    indices.length > 0 &&
    first >= 0 &&
    first + indices.length <= video.numFrames &&
    indices.every((t, i) => t === first + i)
  ) {
    const frameSize = video.width * video.height * 3;
    if (clip.frames.length >= video.numFrames * frameSize) return clip.frames.subarray(first * frameSize, (first + indices.length) * frameSize);
  }
  return storedFrames(clip, indices);
}

/**
 * The stored frames at `indices` as rgb24 `[indices.length, H, W, 3]`: slices of raw frames, or the JPEG frames
 * decoded (each distinct index once, all in parallel on libvips' threads).
 *
 * @example
 * const rgb = await storedFrames(clip, [4, 5, 6, 7]); // 4 frames of clip.meta.video.height x width x 3
 */
export async function storedFrames(clip: StoredClip, indices: readonly number[]): Promise<Uint8Array> {
  const video = clip.meta.video;
  if (!video || !clip.frames) throw new Error(`stored clip "${clip.meta.id}" has no frames`);
  const frameSize = video.width * video.height * 3;
  const out = new Uint8Array(indices.length * frameSize);
  if (video.encoding === 'raw') {
    if (clip.frames.length < video.numFrames * frameSize) throw new Error(`stored clip "${clip.meta.id}": frames are truncated`);
    indices.forEach((t, i) => out.set(clip.frames!.subarray(t * frameSize, (t + 1) * frameSize), i * frameSize));
    return out;
  }
  const sizes = video.frameBytes;
  if (!sizes || sizes.length !== video.numFrames) throw new Error(`stored clip "${clip.meta.id}": JPEG frame sizes missing`);
  const offsets = new Array<number>(sizes.length);
  sizes.reduce((o, n, i) => ((offsets[i] = o), o + n), 0);
  const sharp = await loadSharp();
  const unique = [...new Set(indices)];
  const decoded = new Map<number, Uint8Array>();
  await Promise.all(
    unique.map(async (t) => {
      const jpeg = clip.frames!.subarray(offsets[t], offsets[t] + sizes[t]);
      const { data, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      if (info.width !== video.width || info.height !== video.height || info.channels !== 3) {
        throw new Error(
          `stored clip "${clip.meta.id}": frame ${t} is ${info.width}x${info.height}x${info.channels}, expected ${video.width}x${video.height}x3`,
        );
      }
      decoded.set(t, data);
    }),
  );
  indices.forEach((t, i) => out.set(decoded.get(t)!, i * frameSize));
  return out;
}
