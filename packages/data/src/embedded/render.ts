/**
 * Renders one embedded clip: frames of a coloured shape moving over a tinted, noisy background, and a
 * synchronised sound whose pitch follows the colour, timbre the shape, and glide or loudness the
 * motion. Deterministic for a given (attributes, nuisance seed).
 */
import { Rng } from '@vatt/tokenizers/random';
import { DIRECTION, PITCH, RGB, TIMBRE, type ClipAttributes } from './attributes.js';

export interface RenderOptions {
  frames: number;
  height: number;
  width: number;
  fps: number;
  sampleRate: number;
  /** Audio samples per clip (frames / fps seconds; a multiple of the 128-sample patch is convenient). */
  samples: number;
}

export interface RenderedClip {
  /** uint8 RGB [T, H, W, 3]. */
  video: Uint8Array;
  /** Mono float waveform in [-1, 1]. */
  audio: Float32Array;
  /** The shape's centre per frame (pixels), for tests and plots. */
  track: Array<[number, number]>;
}

/** Signed coverage in [0,1] of pixel (x, y) by a shape of radius r centred at (cx, cy) (1-pixel anti-aliasing). */
function coverage(shape: ClipAttributes['shape'], x: number, y: number, cx: number, cy: number, r: number): number {
  const dx = x - cx;
  const dy = y - cy;
  let d: number; // signed distance-like value, negative inside
  switch (shape) {
    case 'circle':
      d = Math.hypot(dx, dy) - r;
      break;
    case 'square':
      d = Math.max(Math.abs(dx), Math.abs(dy)) - r * 0.85;
      break;
    case 'triangle': {
      // Upward triangle: inside when below the two slanted edges and above the base.
      const base = dy - r * 0.8;
      const edge = (Math.abs(dx) * 1.7 - (r * 0.9 - dy)) / 2;
      d = Math.max(base, edge);
      break;
    }
    case 'cross':
      d = Math.min(Math.max(Math.abs(dx) - r * 0.3, Math.abs(dy) - r), Math.max(Math.abs(dy) - r * 0.3, Math.abs(dx) - r));
      break;
  }
  return Math.min(1, Math.max(0, 0.5 - d));
}

function oscillator(kind: 'sine' | 'square' | 'saw' | 'triangle', phase: number): number {
  const p = phase - Math.floor(phase); // [0,1)
  switch (kind) {
    case 'sine':
      return Math.sin(2 * Math.PI * p);
    case 'square':
      return p < 0.5 ? 0.7 : -0.7;
    case 'saw':
      return 2 * p - 1;
    case 'triangle':
      return 1 - 4 * Math.abs(p - 0.5);
  }
}

export function renderClip(a: ClipAttributes, nuisanceSeed: number, o: RenderOptions): RenderedClip {
  const rng = new Rng(nuisanceSeed);
  const { frames: T, height: H, width: W } = o;
  const video = new Uint8Array(T * H * W * 3);
  // Background: a random dark tint with per-pixel noise.
  const tint = [rng.uniform(10, 70), rng.uniform(10, 70), rng.uniform(10, 70)];
  const noise = rng.uniform(4, 14);
  const r = Math.min(H, W) * rng.uniform(0.16, 0.22);
  const [ux, uy] = DIRECTION[a.motion];
  // Travel about half the frame over the clip; the path is centred with some jitter.
  const travel = Math.min(H, W) * rng.uniform(0.4, 0.55);
  const cx0 = W / 2 - (ux * travel) / 2 + rng.uniform(-0.1, 0.1) * W * (ux === 0 ? 1.5 : 0.5);
  const cy0 = H / 2 - (uy * travel) / 2 + rng.uniform(-0.1, 0.1) * H * (uy === 0 ? 1.5 : 0.5);
  const rgb = RGB[a.color].map((c) => c * rng.uniform(0.85, 1.0));
  const track: Array<[number, number]> = [];
  for (let t = 0; t < T; t++) {
    const f = T > 1 ? t / (T - 1) : 0;
    const cx = cx0 + ux * travel * f;
    const cy = cy0 + uy * travel * f;
    track.push([cx, cy]);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const cov = coverage(a.shape, x + 0.5, y + 0.5, cx, cy, r);
        const i = ((t * H + y) * W + x) * 3;
        for (let c = 0; c < 3; c++) {
          const bg = tint[c] + noise * rng.normal();
          const v = bg * (1 - cov) + rgb[c] * cov;
          video[i + c] = Math.max(0, Math.min(255, Math.round(v)));
        }
      }
    }
  }
  // Audio: note from colour, oscillator from shape; up/down glide the pitch by +-40 %, left/right fade out/in.
  const audio = new Float32Array(o.samples);
  const f0 = PITCH[a.color] * rng.uniform(0.97, 1.03);
  const osc = TIMBRE[a.shape];
  const glide = a.motion === 'up' ? 0.4 : a.motion === 'down' ? -0.4 : 0;
  let phase = rng.uniform(0, 1);
  const amp = rng.uniform(0.5, 0.8);
  const hiss = rng.uniform(0.01, 0.04);
  for (let s = 0; s < o.samples; s++) {
    const f = s / Math.max(1, o.samples - 1);
    const freq = f0 * (1 + glide * f);
    phase += freq / o.sampleRate;
    const env = a.motion === 'left' ? 1 - 0.85 * f : a.motion === 'right' ? 0.15 + 0.85 * f : 1;
    audio[s] = amp * env * oscillator(osc, phase) + hiss * rng.normal();
  }
  return { video, audio, track };
}
