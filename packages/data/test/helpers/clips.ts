// Real H.264 + AAC clips for the shard tests and bench: one ffmpeg run cuts a lavfi testsrc2 + sine stream into
// `count` clips with the segment muxer (a keyframe every `seconds`), which is much faster than one run per clip.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Sample } from '../../src/index.js';

export function makeClips(dir: string, count: number, options: { size?: number; seconds?: number; fps?: number } = {}): string[] {
  const { size = 112, seconds = 2, fps = 25 } = options;
  mkdirSync(dir, { recursive: true });
  const total = count * seconds;
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=s=${size}x${size}:r=${fps}:d=${total}`,
    '-f',
    'lavfi',
    '-i',
    `sine=f=330:beep_factor=4:d=${total}:sample_rate=44100`,
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    '-g',
    String(fps * seconds),
    '-keyint_min',
    String(fps * seconds),
    '-sc_threshold',
    '0',
    '-c:a',
    'aac',
    '-shortest',
    '-f',
    'segment',
    '-segment_time',
    String(seconds),
    '-reset_timestamps',
    '1',
    join(dir, 'clip%04d.mp4'),
  ]);
  return readdirSync(dir)
    .filter((f) => /^clip\d{4}\.mp4$/.test(f))
    .sort()
    .slice(0, count)
    .map((f) => join(dir, f));
}

/** Samples over `paths` with plain or timed captions and string labels, as a manifest would give. */
export function clipSamples(paths: string[]): Sample[] {
  return paths.map((video, i) => ({
    id: `clip${i}`,
    video,
    captions: i % 2 === 0 ? [`a test pattern number ${i}`, `clip ${i} beeps`] : [{ text: `pattern ${i} moves`, start: 0.2, end: 1.1 }],
    label: i % 3 === 0 ? 'beep' : 'tone',
    split: 'train',
  }));
}
