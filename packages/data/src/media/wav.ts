import { readFile, writeFile } from 'node:fs/promises';
import wavefile from 'wavefile';
import { MediaError } from '../errors.js';

const { WaveFile } = wavefile;

export interface WavAudio {
  /** Mono samples (channels averaged), float32 in [-1, 1]. */
  samples: Float32Array;
  sampleRate: number;
  /** Channels in the file before the mono mix. */
  channels: number;
}

/** Checks the RIFF header's sizes against the bytes actually present (truncated downloads). */
function assertComplete(bytes: Uint8Array, path: string): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (o: number) => String.fromCharCode(...bytes.subarray(o, o + 4));
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') {
    throw new MediaError('corrupt-media', `not a RIFF/WAVE file: ${path}`, path);
  }
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    if (id === 'data') {
      if (offset + 8 + size > bytes.length) {
        throw new MediaError('corrupt-media', `truncated WAV file ${path}: data chunk declares ${size} bytes, only ${bytes.length - offset - 8} present`, path);
      }
      return;
    }
    offset += 8 + size + (size % 2);
  }
  throw new MediaError('corrupt-media', `WAV file ${path} has no data chunk`, path);
}

/**
 * Reads a WAV file (any PCM/float bit depth) without ffmpeg, mixes it to mono and, when
 * `sampleRate` differs from the file's, resamples it with wavefile's band-limited sinc resampler.
 *
 * @example
 * const { samples, sampleRate } = await readWav('audio/1-100032-A-0.wav', { sampleRate: 48000 });
 * // 5 s ESC-50 clip at 44.1 kHz -> 240000 samples at 48 kHz
 */
export async function readWav(path: string, options: { sampleRate?: number } = {}): Promise<WavAudio> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch {
    throw new MediaError('file-not-found', `WAV file not found: ${path}`, path);
  }
  assertComplete(bytes, path);
  const wav = new WaveFile();
  try {
    wav.fromBuffer(bytes);
    wav.toBitDepth('32f');
  } catch (e) {
    throw new MediaError('corrupt-media', `unreadable WAV file ${path}: ${(e as Error).message}`, path);
  }
  const fmt = wav.fmt as { numChannels: number; sampleRate: number };
  const channels = fmt.numChannels;
  const raw = wav.getSamples(true, Float64Array) as unknown as Float64Array;
  const length = Math.floor(raw.length / channels);
  let mono: Float64Array = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += raw[i * channels + c];
    mono[i] = sum / channels;
  }
  let sampleRate = fmt.sampleRate;
  const target = options.sampleRate;
  if (target !== undefined && target !== sampleRate) {
    if (!(Number.isInteger(target) && target > 0)) {
      throw new Error(`readWav: expected sampleRate to be a positive integer (Hz), got ${target}`);
    }
    const resampler = new WaveFile();
    resampler.fromScratch(1, sampleRate, '32f', mono);
    resampler.toSampleRate(target, { method: 'sinc', LPF: true });
    mono = resampler.getSamples(false, Float64Array) as unknown as Float64Array;
    sampleRate = target;
  }
  return { samples: Float32Array.from(mono), sampleRate, channels };
}

/**
 * Writes mono float samples as a WAV file: 16-bit PCM (default, values clipped to [-1, 1]) or
 * 32-bit float.
 *
 * @example
 * await writeWav('beep.wav', new Float32Array(48000), 48000);
 */
export async function writeWav(path: string, samples: Float32Array, sampleRate: number, options: { bitDepth?: '16' | '32f' } = {}): Promise<void> {
  const bitDepth = options.bitDepth ?? '16';
  const wav = new WaveFile();
  if (bitDepth === '32f') {
    wav.fromScratch(1, sampleRate, '32f', samples);
  } else {
    const pcm = new Int16Array(samples.length);
    for (let i = 0; i < samples.length; i++) {
      const x = Math.max(-1, Math.min(1, samples[i]));
      pcm[i] = Math.round(x < 0 ? x * 32768 : x * 32767);
    }
    wav.fromScratch(1, sampleRate, '16', pcm);
  }
  await writeFile(path, wav.toBuffer());
}
