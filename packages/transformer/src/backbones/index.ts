export { PatchTransformer, type BackboneOutput, type PatchBackboneInputs, type EmbeddedTokens, type BackboneOptions } from './patch-transformer.js';
export { VideoTransformer } from './video.js';
export { AudioTransformer } from './audio.js';
export { TextTransformer, type TextBackboneInputs } from './text.js';
export { ModalityAgnosticText } from './ma-text.js';
