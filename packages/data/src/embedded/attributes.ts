/**
 * The attribute space of the embedded dataset. Every attribute drives the video, the audio and the
 * captions at once, so the three modalities truly correspond:
 *
 * | attribute | video                      | audio                                        | text            |
 * |-----------|----------------------------|----------------------------------------------|-----------------|
 * | shape     | the moving object's shape  | timbre (sine / square / triangle / saw wave) | "circle", "box" |
 * | color     | its RGB colour             | base pitch (half an octave apart)            | "red", "violet" |
 * | motion    | direction it travels       | pitch glide (up/down), loudness (right/left) | "to the left"   |
 */

export const EMBEDDED_SHAPES = ['circle', 'square', 'triangle', 'cross'] as const;
export const EMBEDDED_COLORS = ['red', 'green', 'blue', 'yellow', 'purple', 'cyan'] as const;
export const EMBEDDED_MOTIONS = ['left', 'right', 'up', 'down'] as const;

export type EmbeddedShape = (typeof EMBEDDED_SHAPES)[number];
export type EmbeddedColor = (typeof EMBEDDED_COLORS)[number];
export type EmbeddedMotion = (typeof EMBEDDED_MOTIONS)[number];

/** What a clip shows: one coloured shape moving in one direction. */
export interface EmbeddedAttributes {
  shape: EmbeddedShape;
  color: EmbeddedColor;
  motion: EmbeddedMotion;
}

/** Nominal RGB (0-255) of each colour; each clip jitters it a little. Saturated and bright, unlike the dark, greyish backgrounds. */
export const COLOR_RGB: Readonly<Record<EmbeddedColor, readonly [number, number, number]>> = {
  red: [225, 45, 40],
  green: [45, 200, 60],
  blue: [50, 90, 235],
  yellow: [235, 215, 45],
  purple: [170, 60, 215],
  cyan: [45, 205, 215],
};

/**
 * Base pitch (Hz) of each colour: 110 Hz times 2^(i/2), half an octave apart (110 ... 622 Hz), low enough
 * that the 3rd harmonic of the highest note stays below the Nyquist frequency of the default 5120 Hz rate.
 */
export const COLOR_PITCH: Readonly<Record<EmbeddedColor, number>> = Object.fromEntries(
  EMBEDDED_COLORS.map((c, i) => [c, 110 * 2 ** (i / 2)]),
) as Record<EmbeddedColor, number>;

/** Oscillator waveform (timbre) of each shape: smooth shapes sound smooth, the spiky cross sounds bright. */
export type Waveform = 'sine' | 'square' | 'triangle' | 'sawtooth';
export const SHAPE_WAVEFORM: Readonly<Record<EmbeddedShape, Waveform>> = {
  circle: 'sine',
  square: 'square',
  triangle: 'triangle',
  cross: 'sawtooth',
};

/** Unit direction of each motion in image coordinates (x right, y down). */
export const MOTION_DIRECTION: Readonly<Record<EmbeddedMotion, readonly [number, number]>> = {
  left: [-1, 0],
  right: [1, 0],
  up: [0, -1],
  down: [0, 1],
};

/**
 * The (shape, colour, motion) triples that never occur in the train split: 12 of the 96. They are chosen so
 * that every shape, colour and motion, and every pair of them, still occurs in training (each pair is held out
 * with at most one value of the third attribute), so a held-out triple is a new composition of seen parts.
 */
export const EMBEDDED_HELDOUT_COMBINATIONS: readonly EmbeddedAttributes[] = Object.freeze(
  (
    [
      ['circle', 'red', 'left'],
      ['square', 'green', 'right'],
      ['triangle', 'blue', 'up'],
      ['cross', 'yellow', 'down'],
      ['circle', 'purple', 'right'],
      ['square', 'cyan', 'up'],
      ['triangle', 'red', 'down'],
      ['cross', 'green', 'left'],
      ['circle', 'blue', 'down'],
      ['square', 'yellow', 'left'],
      ['triangle', 'purple', 'left'],
      ['cross', 'cyan', 'right'],
    ] as const
  ).map(([shape, color, motion]) => Object.freeze({ shape, color, motion })),
);

/** All 96 attribute triples, shape-major. */
export function allCombinations(): EmbeddedAttributes[] {
  const out: EmbeddedAttributes[] = [];
  for (const shape of EMBEDDED_SHAPES) for (const color of EMBEDDED_COLORS) for (const motion of EMBEDDED_MOTIONS) out.push({ shape, color, motion });
  return out;
}

/** A stable key such as "red circle left" (also the clip's class label). */
export function combinationKey(a: EmbeddedAttributes): string {
  return `${a.color} ${a.shape} ${a.motion}`;
}

/** Throws unless `a` names a known shape, colour and motion. `name` words the error. */
export function checkAttributes(a: EmbeddedAttributes, name = 'attributes'): void {
  if (a === null || typeof a !== 'object') throw new Error(`${name}: expected {shape, color, motion}, got ${String(a)}`);
  if (!(EMBEDDED_SHAPES as readonly string[]).includes(a.shape)) throw new Error(`${name}.shape must be one of ${EMBEDDED_SHAPES.join(', ')}; got ${JSON.stringify(a.shape)}`);
  if (!(EMBEDDED_COLORS as readonly string[]).includes(a.color)) throw new Error(`${name}.color must be one of ${EMBEDDED_COLORS.join(', ')}; got ${JSON.stringify(a.color)}`);
  if (!(EMBEDDED_MOTIONS as readonly string[]).includes(a.motion)) throw new Error(`${name}.motion must be one of ${EMBEDDED_MOTIONS.join(', ')}; got ${JSON.stringify(a.motion)}`);
}
