/**
 * The attribute space of the embedded dataset: what a clip shows, how it sounds, and the words that
 * describe it. Every attribute drives the video, the audio and the captions at once, so the three
 * modalities truly correspond.
 */
export const COLORS = ['red', 'green', 'blue', 'yellow', 'purple', 'white'] as const;
export const SHAPES = ['circle', 'square', 'triangle', 'cross'] as const;
export const MOTIONS = ['left', 'right', 'up', 'down'] as const;

export type Color = (typeof COLORS)[number];
export type Shape = (typeof SHAPES)[number];
export type Motion = (typeof MOTIONS)[number];

export interface ClipAttributes {
  color: Color;
  shape: Shape;
  motion: Motion;
}

/** RGB of each colour (0-255). */
export const RGB: Record<Color, [number, number, number]> = {
  red: [230, 40, 40],
  green: [40, 200, 60],
  blue: [50, 80, 240],
  yellow: [240, 220, 40],
  purple: [170, 60, 210],
  white: [245, 245, 245],
};

/** Base pitch (Hz) of each colour: the sound's note. */
export const PITCH: Record<Color, number> = {
  red: 220,
  green: 294,
  blue: 392,
  yellow: 523,
  purple: 659,
  white: 784,
};

/** Words that describe how each colour sounds (used in narration-style captions). */
export const PITCH_WORD: Record<Color, string> = {
  red: 'deep',
  green: 'low',
  blue: 'middle',
  yellow: 'bright',
  purple: 'high',
  white: 'shrill',
};

/** Timbre (oscillator) of each shape. */
export const TIMBRE: Record<Shape, 'sine' | 'square' | 'saw' | 'triangle'> = {
  circle: 'sine',
  square: 'square',
  triangle: 'triangle',
  cross: 'saw',
};

export const TIMBRE_WORD: Record<Shape, string> = {
  circle: 'soft',
  square: 'buzzing',
  triangle: 'hollow',
  cross: 'harsh',
};

/** Unit direction of each motion in image coordinates (x right, y down). */
export const DIRECTION: Record<Motion, [number, number]> = {
  left: [-1, 0],
  right: [1, 0],
  up: [0, -1],
  down: [0, 1],
};

/** How the sound moves with the motion: up/down glide the pitch, left/right fade out/in. */
export const MOTION_SOUND_WORD: Record<Motion, string> = {
  left: 'fading',
  right: 'swelling',
  up: 'rising',
  down: 'falling',
};

/** Every combination, in a fixed order. */
export function allCombinations(): ClipAttributes[] {
  const out: ClipAttributes[] = [];
  for (const color of COLORS) for (const shape of SHAPES) for (const motion of MOTIONS) out.push({ color, shape, motion });
  return out;
}

export function attributeKey(a: ClipAttributes): string {
  return `${a.color}-${a.shape}-${a.motion}`;
}
