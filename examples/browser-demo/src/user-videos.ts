/**
 * The user's own videos: files dropped on the page (or picked with the file input) are decoded in the
 * browser by @vatt/data's media decoder (`<video>` + canvas, WebAudio) into one clip each, cut like an
 * evaluation clip in Node: the centred window of the model's clip length, frames at its fps with the short
 * side scaled to the frame size and centre-cropped, mono audio at its rate (silence when the file has no
 * sound track). The clips are then embedded with the page's engine and searched with the held-out ones.
 */
import { browserMediaDecoder, MediaError } from '@vatt/data/browser';
import type { Clip, PreprocessingConfig } from 'vatt/browser';
import './user-videos.css';

/** A decoded user video. */
export interface UserClip extends Clip {
  /** The file name. */
  label: string;
  hasAudio: boolean;
}

/** Centre crop of rgb24 frames `[n, h, w, 3]` to `[n, height, width, 3]`. */
function centreCrop(frames: Uint8Array, n: number, h: number, w: number, height: number, width: number): Uint8Array {
  const out = new Uint8Array(n * height * width * 3);
  const top = Math.floor((h - height) / 2);
  const left = Math.floor((w - width) / 2);
  for (let t = 0; t < n; t++) {
    for (let y = 0; y < height; y++) {
      const src = ((t * h + top + y) * w + left) * 3;
      out.set(frames.subarray(src, src + width * 3), (t * height + y) * width * 3);
    }
  }
  return out;
}

/**
 * One clip of a user's video file at the preprocessing size (see the file comment).
 *
 * @example
 * const clip = await decodeUserVideo(file, embedder.preprocessing); // clip.video: uint8 [T, H, W, 3]
 */
export async function decodeUserVideo(file: File, pre: PreprocessingConfig): Promise<UserClip> {
  const url = URL.createObjectURL(file);
  try {
    const { frames: numFrames, fps, height, width } = pre.video;
    const seconds = numFrames / fps;
    const info = await browserMediaDecoder.probeMedia(url);
    const start = Math.max(0, (info.duration - seconds) / 2);
    const side = Math.max(height, width);
    const decoded = await browserMediaDecoder.decodeVideo(url, { fps, width: side, height: side, resize: 'shortSide', start, numFrames });
    if (decoded.numFrames < 1) throw new Error(`${file.name}: no frames decoded`);
    let frames = centreCrop(decoded.frames, decoded.numFrames, decoded.height, decoded.width, height, width);
    // A video shorter than the clip repeats its last frame (as the Node loader does).
    if (decoded.numFrames < numFrames) {
      const per = height * width * 3;
      const full = new Uint8Array(numFrames * per);
      full.set(frames);
      for (let t = decoded.numFrames; t < numFrames; t++) full.set(frames.subarray((decoded.numFrames - 1) * per, decoded.numFrames * per), t * per);
      frames = full;
    }
    const audio = new Float32Array(pre.audio.samples);
    let hasAudio = true;
    try {
      const wave = await browserMediaDecoder.decodeAudio(url, { sampleRate: pre.audio.sampleRate, start, duration: pre.audio.samples / pre.audio.sampleRate });
      audio.set(wave.subarray(0, audio.length));
    } catch (e) {
      if (!(e instanceof MediaError && e.code === 'no-audio-stream')) throw e;
      hasAudio = false;
    }
    return { id: `file:${file.name}`, label: file.name, video: frames, audio, captions: [], hasAudio };
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Calls `onFiles` with the video files dropped on `zone` or chosen in `input`. */
export function onVideoFiles(zone: HTMLElement, input: HTMLInputElement, onFiles: (files: File[]) => void): void {
  const videos = (list: FileList | null | undefined) =>
    [...(list ?? [])].filter((f) => f.type.startsWith('video/') || /\.(webm|mp4|m4v|mov|ogv|mkv)$/i.test(f.name));
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const files = videos(e.dataTransfer?.files);
    if (files.length) onFiles(files);
  });
  input.addEventListener('change', () => {
    const files = videos(input.files);
    if (files.length) onFiles(files);
    input.value = '';
  });
}
