/**
 * @vatt/tokenizers: raw media -> VATT token inputs (vatt-spec.md §1). No trainable weights; runs in Node and
 * in the browser (the vocabulary file helpers load `node:fs` lazily, Node only).
 */
export const VERSION = '0.1.0';

export { toTensor, patchifyArray, patchifyTensor } from './shapes.js';
export type { NumericArray, ShapedArray } from './shapes.js';

export { normalizeFrames } from './video/normalizeFrames.js';
export type { InputRange } from './video/normalizeFrames.js';
export { VideoTokenizer } from './video/videoTokenizer.js';
export type { VideoTokenizerOptions, VideoTokens, VideoGrid } from './video/videoTokenizer.js';

export { WaveformTokenizer } from './audio/waveformTokenizer.js';
export type { WaveformTokenizerOptions, WaveformTokens } from './audio/waveformTokenizer.js';
export { LogMelSpectrogram, melFilterbank, hannWindow } from './audio/logMelSpectrogram.js';
export type { LogMelOptions } from './audio/logMelSpectrogram.js';
export { SpectrogramTokenizer } from './audio/spectrogramTokenizer.js';
export type { SpectrogramTokenizerOptions, SpectrogramTokens } from './audio/spectrogramTokenizer.js';

export { captionWords } from './text/captionWords.js';
export { Vocabulary, SPECIAL_TOKENS, buildVocabulary } from './text/vocabulary.js';
export type { BuildVocabularyOptions } from './text/vocabulary.js';
export { loadVocabulary, saveVocabulary } from './text/vocabularyFiles.js';
export { WordTokenizer } from './text/wordTokenizer.js';
export type { WordTokenizerOptions } from './text/wordTokenizer.js';
