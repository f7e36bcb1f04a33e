/**
 * Captions of the embedded dataset: one description ("a red circle moving left") and narration-style
 * candidates for MIL-NCE (docs/numerics.md §6.3), some of them only partly informative, as ASR
 * narrations are. All words come from `EMBEDDED_VOCAB`.
 */
import { Rng } from '@vatt/tokenizers/random';
import { COLORS, MOTIONS, MOTION_SOUND_WORD, PITCH_WORD, SHAPES, TIMBRE_WORD, type ClipAttributes } from './attributes.js';

const MOVE_VERBS = ['moving', 'sliding', 'drifting', 'gliding'];
const SHAPE_WORDS = ['shape', 'thing', 'object'];
const SIDE = { left: 'left', right: 'right', up: 'top', down: 'bottom' } as const;

type Template = (a: ClipAttributes, pick: <T>(xs: readonly T[]) => T) => string;

/** Narration templates (each mentions at least one attribute). */
const NARRATIONS: Template[] = [
  (a, p) => `the ${a.color} ${a.shape} is ${p(MOVE_VERBS)} ${a.motion}`,
  (a, p) => `now the ${a.color} ${p(SHAPE_WORDS)} goes ${a.motion}`,
  (a) => `look at this ${a.shape} in ${a.color}`,
  (a, p) => `it keeps ${p(MOVE_VERBS)} towards the ${SIDE[a.motion]}`,
  (a) => `you can hear a ${PITCH_WORD[a.color]} ${TIMBRE_WORD[a.shape]} tone`,
  (a) => `the sound is ${MOTION_SOUND_WORD[a.motion]} and ${PITCH_WORD[a.color]}`,
  (a, p) => `a ${p(['small', 'little', 'plain'])} ${a.shape} ${p(MOVE_VERBS)} across`,
  (a) => `so this one is ${a.color}`,
  (a, p) => `${p(['okay', 'alright', 'right'])} it heads ${a.motion} now`,
];

/** The description caption of a clip. */
export function describe(a: ClipAttributes): string {
  return `a ${a.color} ${a.shape} moving ${a.motion}`;
}

/** The description then `k - 1` narration candidates, chosen with `rng`. */
export function captionsFor(a: ClipAttributes, k: number, rng: Rng): string[] {
  if (!(k >= 1)) throw new Error(`captionsFor: k must be >= 1, got ${k}`);
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)];
  const order = rng.shuffle(NARRATIONS.map((_, i) => i));
  const out = [describe(a)];
  for (let i = 0; out.length < k; i++) out.push(NARRATIONS[order[i % order.length]](a, pick));
  return out;
}

/** Every word any caption can use, after the four special tokens (`<pad>` is id 0). */
export const EMBEDDED_VOCAB: readonly string[] = (() => {
  const words = new Set<string>();
  const add = (s: string) =>
    s
      .split(/\s+/)
      .filter(Boolean)
      .forEach((w) => words.add(w));
  const all = [
    ...COLORS,
    ...SHAPES,
    ...MOTIONS,
    ...MOVE_VERBS,
    ...SHAPE_WORDS,
    ...Object.values(PITCH_WORD),
    ...Object.values(TIMBRE_WORD),
    ...Object.values(MOTION_SOUND_WORD),
  ];
  all.forEach(add);
  // Template words.
  add('a the is now goes look at this in it keeps towards top bottom you can hear tone sound and small little plain across so one okay alright right heads');
  return ['<pad>', '<bos>', '<eos>', '<unk>', ...[...words].sort()];
})();
