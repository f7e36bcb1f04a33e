// The embedded, procedurally generated dataset (README.md in this folder).
export {
  EMBEDDED_SHAPES,
  EMBEDDED_COLORS,
  EMBEDDED_MOTIONS,
  EMBEDDED_HELDOUT_COMBINATIONS,
  COLOR_RGB,
  COLOR_PITCH,
  SHAPE_WAVEFORM,
  MOTION_DIRECTION,
  allCombinations,
  combinationKey,
} from './attributes.js';
export type { EmbeddedAttributes, EmbeddedShape, EmbeddedColor, EmbeddedMotion, Waveform } from './attributes.js';
export { EMBEDDED_VOCAB, MAX_CAPTION_WORDS, describeClip, clipCaptions } from './captions.js';
export { resolveEmbeddedFormat } from './scene.js';
export type { EmbeddedFormat, EmbeddedFormatOptions, EmbeddedNuisance, EmbeddedDistractor } from './scene.js';
export { generateEmbeddedClip, EmbeddedDataset, createEmbeddedSplits } from './dataset.js';
export type { EmbeddedClip, EmbeddedClipOptions, EmbeddedDatasetOptions, EmbeddedSplit, EmbeddedBatch, EmbeddedSplitsOptions } from './dataset.js';
