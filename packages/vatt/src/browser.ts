/**
 * `vatt/browser`: the browser-safe part of the package. Everything here runs on any tfjs backend with
 * no Node built-ins (no `fs` checkpoint handler, CLI, file data sources, plots or backend probing), so a
 * bundler can build it into a web page. Load a checkpoint over HTTP with
 * `loadVattFrom(tf.io.browserHTTPRequest(url))` (see examples/browser-demo).
 *
 * @example
 * import { VATT, VattPreprocessor, encodeText, encodeVideo, similarity } from 'vatt/browser';
 */
export const VERSION = '0.1.0';

// Experiment configs: presets as data, validation, overrides, the model they build.
export * from './config/index.js';

// The model and its preprocessing.
export {
  VATT,
  candidatesPerClip,
  type VideoEmbeddings,
  type AudioEmbeddings,
  type TextEmbeddings,
  type PretrainBatch,
  type PretrainEmbeddings,
  type LossTerms,
} from './model/vatt.js';
export { FacHead, DEFAULT_FAC_HEAD, type FacHeadConfig } from './model/fac-head.js';
export { VattPreprocessor } from './model/preprocess.js';
export {
  encodeVideo,
  encodeAudio,
  encodeText,
  similarity,
  l2NormalizeRows,
  type EncodeOptions,
  type Matrix,
  type EncodedVideo,
  type EncodedAudio,
  type EncodedText,
} from './model/encode.js';
export { vattFromCheckpoint, loadVattFrom, type LoadedVatt } from './model/from-checkpoint.js';
export { CHECKPOINT_FORMAT, checkpointToArtifacts, checkpointFromArtifacts, type CheckpointData } from './checkpoint/format.js';

// Data and evaluation that need no files.
export { embeddedSplits, embeddedDatasetFor, type EmbeddedSplits } from './data/embedded.js';
export { candidateCaptions, type Clip, type ClipDataset } from './data/clips.js';
export { epochOrder, batchIndices } from './data/order.js';
export { retrievalRanks, retrievalMetrics, type RetrievalMetrics } from './eval/retrieval.js';

// ONNX export (graphs as bytes), the Embedder API over tfjs and onnxruntime (pass onnxruntime-web in).
export * from './onnx/index.js';
