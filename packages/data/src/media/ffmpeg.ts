import { access } from 'node:fs/promises';
import { concatBytes } from '../bytes.js';
import { MediaError } from '../errors.js';
import { PpmReader } from './ppm.js';
import { DEFAULT_TIMEOUT_MS, runMediaTool } from './process.js';
import { DEFAULT_SAMPLE_RATE, outputFrameSize } from './sizes.js';
import type { AudioDecodeOptions, ClipDecodeOptions, DecodedClip, DecodedVideo, MediaDecoder, MediaInfo, StreamInfo, VideoDecodeOptions } from './types.js';

const ffmpegPath = (): string => process.env.VATT_FFMPEG ?? 'ffmpeg';
const ffprobePath = (): string => process.env.VATT_FFPROBE ?? 'ffprobe';

async function assertReadable(path: string): Promise<void> {
  try {
    await access(path);
  } catch {
    throw new MediaError('file-not-found', `media file not found: ${path}`, path);
  }
}

function lastLines(text: string, n = 4): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

/** Maps ffmpeg's stderr after a failed run to a MediaError code. */
function failure(tool: string, path: string, stderr: string, wanted: 'video' | 'audio' | 'probe'): MediaError {
  if (/matches no streams|does not contain any stream/i.test(stderr)) {
    return wanted === 'audio'
      ? new MediaError('no-audio-stream', `no audio track in ${path}`, path)
      : new MediaError('no-video-stream', `no video track in ${path}`, path);
  }
  if (/No such file or directory/i.test(stderr)) {
    return new MediaError('file-not-found', `media file not found: ${path}`, path);
  }
  if (
    /Invalid data found|moov atom not found|could not find codec parameters|partial file|truncat|error while decoding|Invalid NAL|End of file/i.test(stderr)
  ) {
    return new MediaError('corrupt-media', `corrupt or truncated media file ${path}: ${lastLines(stderr)}`, path);
  }
  return new MediaError('decode-failed', `${tool} failed on ${path}: ${lastLines(stderr) || 'no message'}`, path);
}

function parseRate(rate: string | undefined): number | undefined {
  if (!rate) return undefined;
  const [num, den] = rate.split('/').map(Number);
  const value = den ? num / den : num;
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

function num(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : typeof value === 'number' ? value : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Reads container and stream facts with `ffprobe -of json`.
 *
 * @example
 * const info = await probeMedia('clip.mp4');
 * // { duration: 1.2, format: 'mov,mp4,m4a,3gp,3g2,mj2', hasVideo: true, hasAudio: true, streams: [...] }
 */
export async function probeMedia(path: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<MediaInfo> {
  await assertReadable(path);
  const { stdout, stderr, exitCode } = await runMediaTool(
    ffprobePath(),
    ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', path],
    path,
    timeoutMs,
  );
  if (exitCode !== 0) throw failure('ffprobe', path, stderr, 'probe');
  let parsed: { format?: Record<string, unknown>; streams?: Record<string, unknown>[] };
  try {
    parsed = JSON.parse(stdout.toString());
  } catch {
    throw new MediaError('corrupt-media', `ffprobe returned unreadable output for ${path}`, path);
  }
  const streams: StreamInfo[] = (parsed.streams ?? []).map((s) => {
    const kind = String(s.codec_type);
    return {
      index: Number(s.index),
      type: kind === 'video' || kind === 'audio' || kind === 'subtitle' || kind === 'data' ? kind : 'other',
      codec: String(s.codec_name ?? 'unknown'),
      width: num(s.width),
      height: num(s.height),
      fps: kind === 'video' ? (parseRate(String(s.avg_frame_rate ?? '')) ?? parseRate(String(s.r_frame_rate ?? ''))) : undefined,
      sampleRate: num(s.sample_rate),
      channels: num(s.channels),
      duration: num(s.duration),
    };
  });
  // Cover art in audio files shows up as a one-frame "video" stream: not a video track.
  const isRealVideo = (s: StreamInfo, raw: Record<string, unknown>) =>
    s.type === 'video' && !(raw.disposition as Record<string, number> | undefined)?.attached_pic;
  const hasVideo = streams.some((s, i) => isRealVideo(s, (parsed.streams ?? [])[i]));
  const duration = num(parsed.format?.duration) ?? Math.max(0, ...streams.map((s) => s.duration ?? 0));
  if (!hasVideo && !streams.some((s) => s.type === 'audio')) {
    throw new MediaError('corrupt-media', `no decodable audio or video stream in ${path}`, path);
  }
  return {
    duration,
    format: String(parsed.format?.format_name ?? 'unknown'),
    streams,
    hasVideo,
    hasAudio: streams.some((s) => s.type === 'audio'),
  };
}

/** Input options; `threads` before `-i` sets the decoder's threads (after it, only the encoder's). */
function inputArgs(start: number | undefined, path: string, threads?: number, level: 'error' | 'info' = 'error'): string[] {
  // 'info' prints the input's description (its "Duration:" line); -nostats drops the progress lines.
  const args = ['-hide_banner', '-nostdin', '-v', level, ...(level === 'info' ? ['-nostats'] : [])];
  if (threads !== undefined) {
    if (!(Number.isInteger(threads) && threads >= 0)) throw new Error(`decode: expected threads to be an integer >= 0 (0 = automatic), got ${threads}`);
    args.push('-threads', String(threads));
  }
  if (start !== undefined) {
    if (!(start >= 0)) throw new Error(`decode: expected start >= 0 seconds, got ${start}`);
    args.push('-ss', start.toFixed(6));
  }
  return [...args, '-i', path];
}

function durationArgs(duration: number | undefined): string[] {
  if (duration === undefined) return [];
  if (!(duration > 0)) throw new Error(`decode: expected duration > 0 seconds, got ${duration}`);
  return ['-t', duration.toFixed(6)];
}

/** Checks options, probes if needed, and builds the rgb24 video output arguments for `target`. */
async function videoOutput(path: string, options: VideoDecodeOptions, target: string) {
  const { fps, numFrames, timeoutMs = DEFAULT_TIMEOUT_MS } = options;
  if (fps !== undefined && !(fps > 0)) throw new Error(`decodeVideo: expected fps > 0, got ${fps}`);
  if (numFrames !== undefined && !(Number.isInteger(numFrames) && numFrames > 0)) {
    throw new Error(`decodeVideo: expected numFrames to be a positive integer, got ${numFrames}`);
  }
  await assertReadable(path);
  const info = options.info ?? (await probeMedia(path, timeoutMs));
  const stream = info.streams.find((s) => s.type === 'video' && s.width && s.height);
  if (!info.hasVideo || !stream) throw new MediaError('no-video-stream', `no video track in ${path}`, path);
  const size = outputFrameSize(stream.width!, stream.height!, options);
  const filters = [...(fps !== undefined ? [`fps=${fps}`] : []), `scale=${size.width}:${size.height}:flags=bilinear`];
  const args = [...durationArgs(options.duration)];
  args.push('-map', '0:v:0', '-vf', filters.join(','));
  if (numFrames !== undefined) args.push('-frames:v', String(numFrames));
  args.push('-f', 'rawvideo', '-pix_fmt', 'rgb24', target);
  return { args, size, fps: fps ?? stream.fps ?? 0, info };
}

function toFrames(bytes: Buffer, video: Awaited<ReturnType<typeof videoOutput>>, path: string, stderr: string, start?: number): DecodedVideo {
  const { size, fps, info } = video;
  const frameBytes = size.width * size.height * 3;
  const count = Math.floor(bytes.length / frameBytes);
  if (count === 0) {
    if (/error|invalid/i.test(stderr)) throw failure('ffmpeg', path, stderr, 'video');
    throw new MediaError('no-frames', `ffmpeg decoded no frames from ${path} (start=${start ?? 0}s, file duration ${info.duration}s)`, path);
  }
  return { frames: new Uint8Array(bytes.buffer, bytes.byteOffset, count * frameBytes), numFrames: count, fps, width: size.width, height: size.height };
}

function audioOutput(sampleRate: number, duration: number | undefined, target: string): string[] {
  if (!(Number.isInteger(sampleRate) && sampleRate > 0)) {
    throw new Error(`decodeAudio: expected sampleRate to be a positive integer (Hz), got ${sampleRate}`);
  }
  return [...durationArgs(duration), '-map', '0:a:0', '-ac', '1', '-ar', String(sampleRate), '-f', 'f32le', target];
}

function toSamples(bytes: Buffer): Float32Array {
  const count = Math.floor(bytes.length / 4);
  // Copy: the Buffer's offset is not necessarily 4-byte aligned.
  const samples = new Float32Array(count);
  new Uint8Array(samples.buffer).set(bytes.subarray(0, count * 4));
  return samples;
}

/**
 * Decodes video frames to rgb24 with ffmpeg (`-f rawvideo -pix_fmt rgb24`).
 *
 * @example
 * const v = await decodeVideo('clip.mp4', { fps: 10, width: 224, height: 224, numFrames: 32 });
 * // v.frames: Uint8Array of 32*224*224*3 values, v.numFrames === 32
 */
export async function decodeVideo(path: string, options: VideoDecodeOptions = {}): Promise<DecodedVideo> {
  const video = await videoOutput(path, options, 'pipe:1');
  const { stdout, stderr, exitCode } = await runMediaTool(
    ffmpegPath(),
    [...inputArgs(options.start, path, options.threads), ...video.args],
    path,
    options.timeoutMs,
  );
  if (exitCode !== 0) throw failure('ffmpeg', path, stderr, 'video');
  return toFrames(stdout, video, path, stderr, options.start);
}

/**
 * Decodes the first audio track to mono float32 (`-f f32le -ac 1 -ar <rate>`).
 *
 * @example
 * const wave = await decodeAudio('clip.mp4', { sampleRate: 48000, start: 1, duration: 3.2 });
 * // wave.length === 153600
 */
export async function decodeAudio(path: string, options: AudioDecodeOptions = {}): Promise<Float32Array> {
  const { sampleRate = DEFAULT_SAMPLE_RATE, start, duration, timeoutMs } = options;
  const output = audioOutput(sampleRate, duration, 'pipe:1');
  await assertReadable(path);
  const { stdout, stderr, exitCode } = await runMediaTool(ffmpegPath(), [...inputArgs(start, path), ...output], path, timeoutMs);
  if (exitCode !== 0) throw failure('ffmpeg', path, stderr, 'audio');
  if (stdout.length < 4 && /error|invalid/i.test(stderr)) throw failure('ffmpeg', path, stderr, 'audio');
  return toSamples(stdout);
}

/**
 * Decodes frames and audio of one file in a single ffmpeg run from the same seek point (`start`):
 * frames on stdout, audio on file descriptor 3. Same results as `decodeVideo` + `decodeAudio`,
 * one process instead of two. `video.start`/`audio.start` are ignored in favour of `start`.
 *
 * @example
 * const { video, audio } = await decodeAudioVideo('clip.mp4', 2.0, { fps: 10, numFrames: 32, width: 224, height: 224 }, { duration: 3.2 });
 */
export async function decodeAudioVideo(
  path: string,
  start: number | undefined,
  videoOptions: VideoDecodeOptions,
  audioOptions: AudioDecodeOptions,
): Promise<{ video: DecodedVideo; audio: Float32Array }> {
  const video = await videoOutput(path, videoOptions, 'pipe:1');
  if (!video.info.hasAudio) throw new MediaError('no-audio-stream', `no audio track in ${path}`, path);
  const audio = audioOutput(audioOptions.sampleRate ?? DEFAULT_SAMPLE_RATE, audioOptions.duration, 'pipe:3');
  const timeoutMs = Math.max(videoOptions.timeoutMs ?? DEFAULT_TIMEOUT_MS, audioOptions.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const { stdout, fd3, stderr, exitCode } = await runMediaTool(
    ffmpegPath(),
    [...inputArgs(start, path, videoOptions.threads), ...video.args, ...audio],
    path,
    timeoutMs,
    true,
  );
  if (exitCode !== 0) throw failure('ffmpeg', path, stderr, 'video');
  return { video: toFrames(stdout, video, path, stderr, start), audio: toSamples(fd3) };
}

/** ffmpeg's "Duration: HH:MM:SS.ss" line (printed at `-v info` for the input), in seconds. */
function printedDuration(stderr: string): number | undefined {
  const m = /Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)/.exec(stderr);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : undefined;
}

/**
 * Decodes a whole clip (or `[start, start + duration)`) in ONE ffmpeg run with no probe beforehand: frames at
 * `fps` with the short side scaled to `shortSide` (aspect kept) as a stream of PPM images on stdout, whose
 * headers carry the frame size, and mono float32 audio at `sampleRate` on fd 3. The container duration comes
 * from what ffmpeg prints for its input (`-v info`). A missing stream fails with `no-video-stream` /
 * `no-audio-stream` (strict `-map`; `0:V` skips cover art). `video.onFrame` receives each frame as it is
 * decoded (frames are then not kept), so a long video never sits in memory as raw rgb24.
 *
 * @example
 * const clip = await decodeClip('clip.mp4', { video: { fps: 10, shortSide: 72 }, audio: { sampleRate: 48000 } });
 * // clip.video: { frames, numFrames: 20, width: 72, height: 72, fps: 10 }, clip.audio: Float32Array(96000), clip.sourceDuration: 2
 */
export async function decodeClip(path: string, options: ClipDecodeOptions): Promise<DecodedClip> {
  const { video, audio, start, duration, timeoutMs = DEFAULT_TIMEOUT_MS, threads = 1 } = options;
  if (!video && !audio) throw new Error('decodeClip: ask for video, audio or both');
  if (video && !(video.fps > 0)) throw new Error(`decodeClip: expected video.fps > 0, got ${video.fps}`);
  const side = video?.shortSide;
  if (side !== undefined && !(Number.isInteger(side) && side > 0)) throw new Error(`decodeClip: expected shortSide to be a positive integer, got ${side}`);
  await assertReadable(path);
  const args = inputArgs(start, path, threads, 'info');
  if (video) {
    const filters = [`fps=${video.fps}`];
    if (side !== undefined) {
      // Short side to `side`, the other side by aspect (-1); `upscale: false` keeps smaller sources as they are.
      const target = video.upscale === false ? `min(${side},min(iw,ih))` : String(side);
      filters.push(`scale=w='if(lte(iw,ih),${target},-1)':h='if(lte(iw,ih),-1,${target})':flags=bilinear`);
    }
    args.push(...durationArgs(duration), '-map', '0:V:0', '-vf', filters.join(','), '-f', 'image2pipe', '-c:v', 'ppm', 'pipe:1');
  }
  if (audio) args.push(...audioOutput(audio.sampleRate, duration, video ? 'pipe:3' : 'pipe:1'));
  const frames: Uint8Array[] = [];
  let size = { width: 0, height: 0 };
  const reader = new PpmReader((rgb, width, height) => {
    size = { width, height };
    if (video?.onFrame) video.onFrame(rgb, width, height);
    else frames.push(rgb);
  });
  const { stdout, fd3, stderr, exitCode } = await runMediaTool(
    ffmpegPath(),
    args,
    path,
    timeoutMs,
    Boolean(video && audio),
    video ? (c) => reader.push(c) : undefined,
  );
  if (exitCode !== 0) {
    const missing = /Stream map '0:(V|a):0' matches no streams/.exec(stderr);
    if (missing) {
      throw missing[1] === 'a'
        ? new MediaError('no-audio-stream', `no audio track in ${path}`, path)
        : new MediaError('no-video-stream', `no video track in ${path}`, path);
    }
    throw failure('ffmpeg', path, stderr, video ? 'video' : 'audio');
  }
  const out: DecodedClip = { sourceDuration: printedDuration(stderr) };
  if (video) {
    reader.end();
    if (reader.count === 0) {
      throw new MediaError('no-frames', `ffmpeg decoded no frames from ${path} (start=${start ?? 0}s, file duration ${out.sourceDuration ?? '?'}s)`, path);
    }
    out.video = { frames: concatBytes(frames), numFrames: reader.count, fps: video.fps, ...size };
  }
  if (audio) {
    out.audio = toSamples(video ? fd3 : stdout);
    out.sampleRate = audio.sampleRate;
  }
  return out;
}

/** The Node back end: ffmpeg/ffprobe through child_process. */
export const nodeMediaDecoder: MediaDecoder = { probeMedia, decodeVideo, decodeAudio, decodeAudioVideo };
