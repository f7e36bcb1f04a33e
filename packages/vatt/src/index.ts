export const VERSION = '0.1.0';
export { setupBackend, BACKEND_CHOICES, type BackendChoice, type BackendInfo } from './backend.js';
export { VATT, type VideoEmbeddings, type AudioEmbeddings, type TextEmbeddings, type PretrainBatch, type LossTerms } from './model/vatt.js';
export { FacHead, DEFAULT_FAC_HEAD, type FacHeadConfig } from './model/fac-head.js';
export { getPreset, PRESET_NAMES, type PresetName, type VattConfig, type PreprocessingConfig, type VattPreset, type HeadConfig } from './model/config.js';
export { learningRateAt, CODE_PRETRAIN_SCHEDULE, PAPER_PRETRAIN_SCHEDULE, type ScheduleConfig } from './train/schedule.js';
export { Trainer, type TrainerOptions, type StepResult, type StepOutput, type TrainerState } from './train/trainer.js';
export { retrievalRanks, retrievalMetrics, type RetrievalMetrics } from './eval/retrieval.js';
export { saveCheckpoint, loadCheckpoint, CheckpointManager, type CheckpointData } from './checkpoint/checkpoint.js';
export { fileHandler, registerFileRouter, saveArtifacts, loadArtifacts } from './checkpoint/file-handler.js';
export { ModalityAgnosticText } from './model/ma-text.js';
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
export { loadVatt, type LoadedVatt } from './model/load.js';
export { zeroShotRetrieval, formatZeroShot, type ZeroShotReport } from './eval/zero-shot.js';
export {
  pretrain,
  batchIndices,
  makePretrainBatch,
  type PretrainOptions,
  type PretrainData,
  type PretrainEvents,
  type PretrainResult,
  type StepRecord,
  type TrainingState,
} from './train/pretrain.js';
export { embeddedSplits, type EmbeddedSplits } from './data/embedded.js';
export { readSource, evaluationClips, clipConfigFor, loaderBatches, pretrainBatchFromLoader, type SourceInfo } from './data/sources.js';
export { candidateCaptions, type Clip, type ClipDataset } from './data/clips.js';
export * from './plot/index.js';
export * from './eval/metrics.js';
export * from './eval/multi-caption.js';
export * from './eval/linear-probe.js';
export * from './finetune/classifier.js';
export * from './finetune/finetune.js';
export * from './finetune/losses.js';
export * from './finetune/views.js';
export * from './finetune/sources.js';
export { chunkedPretrainGrads } from './train/grad-cache.js';
export type { GradientsResult } from './train/trainer.js';
export * from './parallel/index.js';
