/**
 * @vatt/tokenizers: raw media -> VATT token inputs (docs/numerics.md §1). No trainable weights; runs in Node and
 * in the browser (the vocabulary file helpers load `node:fs` lazily, Node only).
 */
export const VERSION = '0.1.0';

export { Rng, hashSeed } from './random.js';

export { toTensor, patchifyArray, patchifyTensor } from './shapes.js';
export type { NumericArray, ShapedArray } from './shapes.js';

export { normalizeFrames } from './video/normalize-frames.js';
export type { InputRange } from './video/normalize-frames.js';
export { VideoTokenizer } from './video/video-tokenizer.js';
export type { VideoTokenizerOptions, VideoTokens, VideoGrid } from './video/video-tokenizer.js';

export { WaveformTokenizer } from './audio/waveform-tokenizer.js';
export type { WaveformTokenizerOptions, WaveformTokens } from './audio/waveform-tokenizer.js';
export { LogMelSpectrogram, melFilterbank, hannWindow } from './audio/log-mel-spectrogram.js';
export type { LogMelOptions } from './audio/log-mel-spectrogram.js';
export { SpectrogramTokenizer } from './audio/spectrogram-tokenizer.js';
export type { SpectrogramTokenizerOptions, SpectrogramTokens } from './audio/spectrogram-tokenizer.js';

export { captionWords } from './text/caption-words.js';
export { Vocabulary, SPECIAL_TOKENS, buildVocabulary } from './text/vocabulary.js';
export type { BuildVocabularyOptions } from './text/vocabulary.js';
export { loadVocabulary, saveVocabulary } from './text/vocabulary-files.js';
export { WordTokenizer } from './text/word-tokenizer.js';
export type { WordTokenizerOptions } from './text/word-tokenizer.js';
