// Real media for tests: short clips shipped by Debian packages (installed by .ci/run), and clips
// generated with ffmpeg (real H.264 + AAC) where a test needs known content.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** python3-imageio (BSD-2-Clause): 1.2 s, 320x240 H.264 @ 29.97 fps + AAC 48 kHz mono. */
export const REALSHORT_MP4 = '/usr/lib/python3/dist-packages/imageio/resources/images/realshort.mp4';
/** python3-imageio (BSD-2-Clause): 14 s, 1280x720 H.264 @ 20 fps + MP3 16 kHz. */
export const COCKATOO_MP4 = '/usr/lib/python3/dist-packages/imageio/resources/images/cockatoo.mp4';
/** sonic-pi-samples (CC0, freesound 207809): 1.57 s stereo FLAC, 44.1 kHz. */
export const CHOIR_FLAC = '/usr/share/sonic-pi/samples/ambi_choir.flac';
/** tuxpaint-stamps-default (GPL-2, used only as a test input): 1.5 s mono Ogg Vorbis, 44.1 kHz. */
export const FROG_OGG = '/usr/share/tuxpaint/stamps/animals/amphibians/frog.ogg';

/** When the flash and the beep happen in the generated sync clip (seconds). */
export const FLASH_AT = 1.52;

function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args]);
}

export interface GeneratedMedia {
  dir: string;
  /** 3 s, 64x48 @ 25 fps: black with a white flash at [FLASH_AT, FLASH_AT + 0.12), a 1 kHz beep at the same time (AAC 48 kHz). */
  flashBeep: string;
  /** 2 s testsrc pattern, no audio track. */
  silent: string;
  /** Random bytes named .mp4. */
  corrupt: string;
  /** First 40 % of flashBeep. */
  truncated: string;
}

/** Generates the test clips into a fresh temporary folder (about a second of ffmpeg work). */
export function generateMedia(): GeneratedMedia {
  const dir = mkdtempSync(join(tmpdir(), 'vatt-data-test-'));
  const flashBeep = join(dir, 'flash_beep.mp4');
  const end = FLASH_AT + 0.12;
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    `color=c=black:s=64x48:r=25:d=3,drawbox=x=0:y=0:w=64:h=48:color=white:t=fill:enable='between(t,${FLASH_AT},${end - 0.001})'`,
    '-f',
    'lavfi',
    '-i',
    `aevalsrc='if(between(t,${FLASH_AT},${end}),0.8*sin(2*PI*1000*t),0)':s=48000:d=3`,
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    '-g',
    '25',
    '-c:a',
    'aac',
    '-b:a',
    '96k',
    '-shortest',
    flashBeep,
  ]);
  const silent = join(dir, 'silent.mp4');
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=s=80x60:r=25:d=2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', silent]);
  const corrupt = join(dir, 'corrupt.mp4');
  const noise = Buffer.alloc(20_000);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
  writeFileSync(corrupt, noise);
  const truncated = join(dir, 'truncated.mp4');
  const whole = readFileSync(flashBeep);
  writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length * 0.4)));
  return { dir, flashBeep, silent, corrupt, truncated };
}

/** Mean of all values of frame t in rgb24 frames. */
export function frameMean(frames: Uint8Array | Float32Array, frameSize: number, t: number): number {
  let sum = 0;
  for (let i = t * frameSize; i < (t + 1) * frameSize; i++) sum += frames[i];
  return sum / frameSize;
}

/** First index where |x| exceeds `threshold`, or -1. */
export function firstLoud(samples: Float32Array, threshold: number): number {
  return samples.findIndex((x) => Math.abs(x) > threshold);
}
