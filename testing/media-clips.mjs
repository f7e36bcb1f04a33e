// Real media for tests and benches: `count` clips of `seconds` s, `size` x `size` H.264 at 25 fps + AAC at
// 44.1 kHz, cut from one lavfi testsrc2 + sine stream by the segment muxer (a keyframe every clip), which is
// much faster than one ffmpeg run per clip. Returns the file paths in order.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const CLIP_SOURCE = '112x112 H.264 25 fps + AAC 44.1 kHz (lavfi testsrc2 + sine)';

export function makeClips(dir, count, { size = 112, seconds = 2, fps = 25 } = {}) {
  mkdirSync(dir, { recursive: true });
  const total = count * seconds;
  execFileSync('ffmpeg', [
    ...['-hide_banner', '-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=s=${size}x${size}:r=${fps}:d=${total}`],
    ...['-f', 'lavfi', '-i', `sine=f=330:beep_factor=4:d=${total}:sample_rate=44100`],
    ...['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-g', String(fps * seconds), '-keyint_min', String(fps * seconds), '-sc_threshold', '0'],
    ...['-c:a', 'aac', '-shortest', '-f', 'segment', '-segment_time', String(seconds), '-reset_timestamps', '1', join(dir, 'clip%04d.mp4')],
  ]);
  return readdirSync(dir)
    .filter((f) => /^clip\d{4}\.mp4$/.test(f))
    .sort()
    .slice(0, count)
    .map((f) => join(dir, f));
}
