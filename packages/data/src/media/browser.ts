import { MediaError } from '../errors.js';
import { DEFAULT_SAMPLE_RATE, outputFrameSize } from './sizes.js';
import type { AudioDecodeOptions, DecodedVideo, MediaDecoder, MediaInfo, VideoDecodeOptions } from './types.js';

/* Browser back end: an HTMLVideoElement seeked frame by frame and drawn on a canvas, and
 * AudioContext.decodeAudioData for sound. Same interface and outputs as the ffmpeg back end.
 * Sources are URLs (object URLs of user files work). Tested in headless Chromium against ffmpeg
 * (examples/browser-demo/test/media.test.mjs). */

function loadVideoElement(url: string): Promise<HTMLVideoElement> {
  return new Promise((resolve, reject) => {
    const video = document.createElement('video');
    video.muted = true;
    video.preload = 'auto';
    video.crossOrigin = 'anonymous';
    video.onloadedmetadata = () => resolve(video);
    video.onerror = () => reject(new MediaError('corrupt-media', `the browser cannot decode video ${url}`, url));
    video.src = url;
  });
}

function seek(video: HTMLVideoElement, time: number): Promise<void> {
  return new Promise((resolve, reject) => {
    video.onseeked = () => {
      // A source the browser cannot seek in (an HTTP server without Range requests) "seeks" to 0 and
      // would give its first frame over and over.
      if (Math.abs(video.currentTime - time) > 0.05) {
        reject(
          new MediaError(
            'not-seekable',
            `cannot seek to ${time.toFixed(2)} s in ${video.src} (at ${video.currentTime.toFixed(2)} s): serve it with HTTP Range support, or use an ` +
              `object URL`,
            video.src,
          ),
        );
      } else resolve();
    };
    video.onerror = () => reject(new MediaError('corrupt-media', `seek failed in ${video.src}`, video.src));
    video.currentTime = time;
  });
}

async function fetchAudio(url: string, sampleRate: number): Promise<AudioBuffer> {
  const response = await fetch(url);
  if (!response.ok) throw new MediaError('file-not-found', `could not fetch ${url}: HTTP ${response.status}`, url);
  // An OfflineAudioContext resamples to its own rate while decoding.
  const context = new OfflineAudioContext(1, 1, sampleRate);
  try {
    return await context.decodeAudioData(await response.arrayBuffer());
  } catch {
    throw new MediaError('no-audio-stream', `no decodable audio track in ${url}`, url);
  }
}

async function probeMedia(url: string): Promise<MediaInfo> {
  const video = await loadVideoElement(url);
  const hasVideo = video.videoWidth > 0;
  return {
    duration: video.duration,
    format: 'browser',
    streams: hasVideo ? [{ index: 0, type: 'video', codec: 'unknown', width: video.videoWidth, height: video.videoHeight }] : [],
    hasVideo,
    // Browsers expose no portable "has audio" flag; decodeAudio reports `no-audio-stream`.
    hasAudio: true,
  };
}

async function decodeVideo(url: string, options: VideoDecodeOptions = {}): Promise<DecodedVideo> {
  const video = await loadVideoElement(url);
  if (!video.videoWidth) throw new MediaError('no-video-stream', `no video track in ${url}`, url);
  const fps = options.fps ?? 25;
  const size = outputFrameSize(video.videoWidth, video.videoHeight, options);
  const start = options.start ?? 0;
  const end = Math.min(video.duration, options.duration !== undefined ? start + options.duration : video.duration);
  let count = Math.max(0, Math.floor((end - start) * fps + 1e-6));
  if (options.numFrames !== undefined) count = Math.min(count, options.numFrames);
  if (count === 0) throw new MediaError('no-frames', `no frames in ${url} from ${start}s`, url);
  const canvas = document.createElement('canvas');
  canvas.width = size.width;
  canvas.height = size.height;
  const context = canvas.getContext('2d', { willReadFrequently: true })!;
  const frameBytes = size.width * size.height * 3;
  const frames = new Uint8Array(count * frameBytes);
  for (let t = 0; t < count; t++) {
    await seek(video, start + t / fps);
    context.drawImage(video, 0, 0, size.width, size.height);
    const rgba = context.getImageData(0, 0, size.width, size.height).data;
    for (let p = 0, o = t * frameBytes; p < rgba.length; p += 4, o += 3) {
      frames[o] = rgba[p];
      frames[o + 1] = rgba[p + 1];
      frames[o + 2] = rgba[p + 2];
    }
  }
  return { frames, numFrames: count, fps, width: size.width, height: size.height };
}

async function decodeAudio(url: string, options: AudioDecodeOptions = {}): Promise<Float32Array> {
  const sampleRate = options.sampleRate ?? DEFAULT_SAMPLE_RATE;
  const buffer = await fetchAudio(url, sampleRate);
  const from = Math.round((options.start ?? 0) * sampleRate);
  const to = options.duration !== undefined ? from + Math.round(options.duration * sampleRate) : buffer.length;
  const out = new Float32Array(Math.max(0, Math.min(to, buffer.length) - from));
  for (let c = 0; c < buffer.numberOfChannels; c++) {
    const channel = buffer.getChannelData(c);
    for (let i = 0; i < out.length; i++) out[i] += channel[from + i] / buffer.numberOfChannels;
  }
  return out;
}

async function decodeAudioVideo(url: string, start: number | undefined, video: VideoDecodeOptions, audio: AudioDecodeOptions) {
  return { video: await decodeVideo(url, { ...video, start }), audio: await decodeAudio(url, { ...audio, start }) };
}

/**
 * The browser back end (`<video>` + canvas, WebAudio). Use it with the same loader code as Node:
 *
 * @example
 * const clip = await browserMediaDecoder.decodeVideo(URL.createObjectURL(file), { fps: 10, width: 224, height: 224, numFrames: 32 });
 */
export const browserMediaDecoder: MediaDecoder = { probeMedia, decodeVideo, decodeAudio, decodeAudioVideo };
