/**
 * Video of one clip: an anti-aliased coloured shape moving in a straight line over a dark, tinted, noisy
 * background (and maybe a static grey distractor). Frames are uint8 RGB, [T, H, W, 3] row-major, the layout
 * `VideoTokenizer` expects (vatt-spec.md section 1.1).
 */
import type { Rng } from '../augment/random.js';
import { COLOR_RGB, type EmbeddedAttributes, type EmbeddedShape } from './attributes.js';
import { positionAt, type EmbeddedFormat, type EmbeddedNuisance } from './scene.js';

/** (u - 0.5) for uniform u has standard deviation 1/sqrt(12). */
const UNIFORM_TO_UNIT_STD = Math.sqrt(12);

/** Signed distance (pixels, negative inside) from (px, py), relative to the shape centre, to a shape of radius r. */
function shapeDistance(shape: EmbeddedShape, px: number, py: number, r: number, cos: number, sin: number): number {
  // Rotate the point into the shape's frame.
  const x = cos * px + sin * py;
  const y = -sin * px + cos * py;
  switch (shape) {
    case 'circle':
      return Math.sqrt(x * x + y * y) - r;
    case 'square':
      return boxDistance(x, y, 0.85 * r, 0.85 * r);
    case 'cross': {
      const t = 0.34 * r;
      return Math.min(boxDistance(x, y, r, t), boxDistance(x, y, t, r));
    }
    case 'triangle':
      return triangleDistance(x, y, 1.2 * r);
  }
}

function boxDistance(x: number, y: number, hx: number, hy: number): number {
  const qx = Math.abs(x) - hx;
  const qy = Math.abs(y) - hy;
  const ox = Math.max(qx, 0);
  const oy = Math.max(qy, 0);
  return Math.sqrt(ox * ox + oy * oy) + Math.min(Math.max(qx, qy), 0);
}

/** Equilateral triangle pointing up (y down in image coordinates), circumradius R, centred on its centroid. */
function triangleDistance(x: number, y: number, R: number): number {
  // Inigo Quilez's exact equilateral-triangle distance, with side s = R * sqrt(3) and y flipped so it points up.
  const k = Math.sqrt(3);
  const half = (R * k) / 2;
  let px = Math.abs(x) - half;
  let py = -y + half / k;
  if (px + k * py > 0) {
    const nx = (px - k * py) / 2;
    const ny = (-k * px - py) / 2;
    px = nx;
    py = ny;
  }
  px -= Math.min(Math.max(px, -2 * half), 0);
  return -Math.sqrt(px * px + py * py) * Math.sign(py);
}

/** Alpha-blends a shape into one frame (Float32 RGB), coverage = clamp(0.5 - distance) for a 1-pixel anti-aliased edge. */
function drawShape(
  frame: Float32Array,
  f: EmbeddedFormat,
  shape: EmbeddedShape,
  cx: number,
  cy: number,
  r: number,
  rotation: number,
  rgb: readonly [number, number, number],
): void {
  const cos = Math.cos(rotation);
  const sin = Math.sin(rotation);
  const reach = 1.25 * r + 1;
  const x0 = Math.max(0, Math.floor(cx - reach));
  const x1 = Math.min(f.width - 1, Math.ceil(cx + reach));
  const y0 = Math.max(0, Math.floor(cy - reach));
  const y1 = Math.min(f.height - 1, Math.ceil(cy + reach));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const alpha = Math.min(1, Math.max(0, 0.5 - shapeDistance(shape, x + 0.5 - cx, y + 0.5 - cy, r, cos, sin)));
      if (alpha === 0) continue;
      const o = (y * f.width + x) * 3;
      for (let c = 0; c < 3; c++) frame[o + c] += alpha * (rgb[c] - frame[o + c]);
    }
  }
}

/** Renders the frames of a clip, [T, H, W, 3] uint8. `rng` supplies only the per-pixel noise. */
export function renderVideo(a: EmbeddedAttributes, n: EmbeddedNuisance, f: EmbeddedFormat, rng: Rng): Uint8Array {
  const { numFrames: T, height: H, width: W } = f;
  const frameSize = H * W * 3;
  const out = new Uint8Array(T * frameSize);
  const frame = new Float32Array(frameSize);
  const base = COLOR_RGB[a.color];
  const rgb = [0, 1, 2].map((c) => Math.min(255, Math.max(0, base[c] + n.colorJitter[c]))) as [number, number, number];
  const { tint, gradient, noise } = n.background;
  const d = n.distractor;
  for (let t = 0; t < T; t++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const shade = gradient[0] * (x / W - 0.5) + gradient[1] * (y / H - 0.5);
        const o = (y * W + x) * 3;
        for (let c = 0; c < 3; c++) frame[o + c] = tint[c] + shade;
      }
    }
    if (d) drawShape(frame, f, d.shape, d.x, d.y, d.radius, 0, [d.gray, d.gray, d.gray]);
    const [cx, cy] = positionAt(a, n, t);
    drawShape(frame, f, a.shape, cx, cy, n.radius, n.rotation, rgb);
    const dst = t * frameSize;
    for (let i = 0; i < frameSize; i++) {
      // Uniform noise with standard deviation `noise`: cheaper than Gaussian, and looks the same at this scale.
      const v = frame[i] + noise * UNIFORM_TO_UNIT_STD * (rng.next() - 0.5);
      out[dst + i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
    }
  }
  return out;
}
