/**
 * Captions of the embedded dataset. Caption 0 describes the clip ("a red circle moving left"); captions
 * 1..K-1 imitate the ASR narrations of HowTo100M that MIL-NCE treats as K positive candidates
 * (vatt-spec.md section 6.3): built from templates with synonyms, some describing the sound, some only
 * partly informative, and a few not informative at all. Every caption is lowercase, without punctuation,
 * at most MAX_CAPTION_WORDS words (the tiny text preset keeps 8 tokens), and uses only EMBEDDED_VOCAB.
 */
import type { Rng } from '../augment/random.js';
import { SHAPE_WAVEFORM, type EmbeddedAttributes, type EmbeddedColor, type EmbeddedMotion, type EmbeddedShape, type Waveform } from './attributes.js';

/** The longest caption, in words. */
export const MAX_CAPTION_WORDS = 8;

/**
 * The vocabulary of every caption: `<pad> <bos> <eos> <unk>` first (so `<pad>` is id 0, vatt-spec.md
 * section 1.3), then the words, grouped by role. Ids are the list positions and never change.
 */
export const EMBEDDED_VOCAB: readonly string[] = Object.freeze([
  '<pad>', '<bos>', '<eos>', '<unk>',
  // colours and synonyms
  'red', 'green', 'blue', 'yellow', 'purple', 'cyan', 'crimson', 'lime', 'navy', 'golden', 'violet', 'turquoise',
  // shapes and synonyms
  'circle', 'square', 'triangle', 'cross', 'disc', 'ball', 'box', 'block', 'wedge', 'pyramid', 'plus', 'sign',
  'shape', 'one', 'thing', 'object',
  // motions
  'left', 'right', 'up', 'down', 'leftward', 'rightward', 'upward', 'downward', 'top', 'bottom',
  'moving', 'moves', 'move', 'slides', 'sliding', 'drifts', 'drifting', 'goes', 'heads', 'travels', 'rises', 'falls', 'sinks', 'climbs',
  // sound
  'you', 'can', 'hear', 'listen', 'to', 'tone', 'note', 'sound', 'hum', 'pitch', 'gets', 'louder', 'quieter', 'higher', 'lower',
  'fades', 'grows', 'smooth', 'pure', 'hollow', 'buzzy', 'soft', 'mellow', 'bright', 'sharp',
  'deep', 'low', 'middle', 'high', 'shrill',
  // function words and filler
  'a', 'the', 'this', 'that', 'it', 'is', 'and', 'as', 'of', 'here', 'now', 'there', 'then', 'so', 'okay', 'alright',
  'watch', 'look', 'at', 'see', 'we', 'have', 'let', 'us', 'go', 'again', 'next', 'all', 'for', 'keep', 'watching', 'screen',
  'what', 'do', 'think', 'happens', 'on', 'across', 'frame', 'nice', 'little', 'our',
]);

const COLOR_WORDS: Record<EmbeddedColor, readonly string[]> = {
  red: ['red', 'red', 'crimson'],
  green: ['green', 'green', 'lime'],
  blue: ['blue', 'blue', 'navy'],
  yellow: ['yellow', 'yellow', 'golden'],
  purple: ['purple', 'purple', 'violet'],
  cyan: ['cyan', 'cyan', 'turquoise'],
};
const SHAPE_WORDS: Record<EmbeddedShape, readonly string[]> = {
  circle: ['circle', 'circle', 'disc', 'ball'],
  square: ['square', 'square', 'box', 'block'],
  triangle: ['triangle', 'triangle', 'wedge', 'pyramid'],
  cross: ['cross', 'cross', 'plus sign'],
};
/** Phrases that complete "slides ...", "goes ...". */
const MOTION_PHRASES: Record<EmbeddedMotion, readonly string[]> = {
  left: ['left', 'to the left', 'leftward'],
  right: ['right', 'to the right', 'rightward'],
  up: ['up', 'upward', 'to the top'],
  down: ['down', 'downward', 'to the bottom'],
};
const MOTION_VERBS = ['slides', 'moves', 'drifts', 'goes', 'heads', 'travels'];
/** How each motion sounds (section: audio.ts): vertical motion glides the pitch, horizontal motion the loudness. */
const MOTION_SOUNDS: Record<EmbeddedMotion, readonly string[]> = {
  left: ['the sound gets quieter', 'the tone fades', 'it gets quieter'],
  right: ['the sound gets louder', 'the tone grows louder', 'it gets louder'],
  up: ['the pitch rises', 'the pitch gets higher', 'the tone climbs'],
  down: ['the pitch falls', 'the pitch gets lower', 'the tone sinks'],
};
/** How each waveform (from the shape) sounds. */
const TIMBRE_WORDS: Record<Waveform, readonly string[]> = {
  sine: ['smooth', 'pure'],
  square: ['hollow', 'buzzy'],
  triangle: ['soft', 'mellow'],
  sawtooth: ['bright', 'sharp'],
};
/** Register of each colour's pitch (COLOR_PITCH rises through the colour list). */
const REGISTER_WORDS: Record<EmbeddedColor, readonly string[]> = {
  red: ['deep', 'low'],
  green: ['low'],
  blue: ['middle'],
  yellow: ['middle'],
  purple: ['high'],
  cyan: ['high', 'shrill'],
};
/** Narrations that say nothing about the clip (as real ASR often does). */
const FILLERS = ['okay let us look at this', 'so here we go again', 'that is all for now', 'keep watching the screen', 'what do you think happens next', 'alright watch this'];

/** The description caption: "a {color} {shape} moving {motion}". */
export function describeClip(a: EmbeddedAttributes): string {
  return `a ${a.color} ${a.shape} moving ${a.motion}`;
}

type Narration = (a: EmbeddedAttributes, pick: <T>(xs: readonly T[]) => T) => string;

/** Narration templates; each clip draws K-1 different ones. */
const NARRATIONS: readonly Narration[] = [
  (a, p) => `the ${p(COLOR_WORDS[a.color])} ${p(SHAPE_WORDS[a.shape])} ${p(MOTION_VERBS)} ${p(MOTION_PHRASES[a.motion])}`,
  (a, p) => `watch the ${p(COLOR_WORDS[a.color])} one go ${p(MOTION_PHRASES[a.motion])}`,
  (a, p) => `here we have a ${p(COLOR_WORDS[a.color])} ${p(SHAPE_WORDS[a.shape])}`,
  (a, p) => `see the ${p(SHAPE_WORDS[a.shape])} ${p(['sliding', 'drifting', 'moving'])} ${p(MOTION_PHRASES[a.motion])}`,
  (a, p) => `you can hear a ${p(TIMBRE_WORDS[SHAPE_WAVEFORM[a.shape]])} ${p(REGISTER_WORDS[a.color])} ${p(['tone', 'note', 'hum'])}`,
  (a, p) => `${p(['and', 'listen as', 'then'])} ${p(MOTION_SOUNDS[a.motion])}`,
  (a, p) => `it ${p(MOTION_VERBS)} ${p(MOTION_PHRASES[a.motion])} across the frame`,
  (a, p) => `so this ${p(['shape', 'thing', 'object'])} is ${p(COLOR_WORDS[a.color])}`,
  (_a, p) => p(FILLERS),
];

/**
 * The K captions of a clip: the description, then K-1 narrations from distinct templates (cycling if K-1
 * exceeds the 9 templates), drawn with `rng`.
 *
 * @example
 * clipCaptions({ shape: 'circle', color: 'red', motion: 'left' }, 3, new Rng(0));
 * // ['a red circle moving left', 'you can hear a smooth low tone', 'the crimson disc slides to the left'] (for example)
 */
export function clipCaptions(a: EmbeddedAttributes, numCaptions: number, rng: Rng): string[] {
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)];
  const order = rng.shuffle(NARRATIONS.map((_, i) => i));
  const out = [describeClip(a)];
  for (let i = 0; out.length < numCaptions; i++) out.push(NARRATIONS[order[i % order.length]](a, pick));
  return out;
}
