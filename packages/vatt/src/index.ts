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
export { loadVatt } from './model/load.js';

// Checkpoints: the format (browser-safe) and the Node store.
export { CHECKPOINT_FORMAT, checkpointToArtifacts, checkpointFromArtifacts, type CheckpointData } from './checkpoint/format.js';
export { saveCheckpoint, loadCheckpoint, readCheckpointInfo, CheckpointManager } from './checkpoint/store.js';
export { fileHandler, registerFileRouter, saveArtifacts, loadArtifacts } from './checkpoint/file-handler.js';

// Training: the step engine, the gradient cache, the run loop, pretraining.
export { learningRateAt, CODE_PRETRAIN_SCHEDULE, PAPER_PRETRAIN_SCHEDULE, type ScheduleConfig } from './train/schedule.js';
export { Trainer, byPath, type TrainerOptions, type StepResult, type StepOutput, type TrainerState, type GradientsResult } from './train/trainer.js';
export * from './train/grad-cache.js';
export { TrainingRun, type TrainingState, type StepRecord, type RunDirectoryOptions } from './train/run.js';
export { pretrainGradients, vattChunkModel } from './train/pretrain-gradients.js';
export {
  pretrain,
  makePretrainBatch,
  pretrainRunDifferences,
  scheduleOf,
  type PretrainOptions,
  type PretrainData,
  type PretrainEvents,
  type PretrainResult,
  type PretrainRun,
  type PretrainState,
} from './train/pretrain.js';
export * from './parallel/index.js';

// Data for training and evaluation.
export { embeddedSplits, type EmbeddedSplits } from './data/embedded.js';
export { readSource, evaluationClips, clipConfigFor, loaderBatches, pretrainBatchFromLoader, type SourceInfo } from './data/sources.js';
export { candidateCaptions, type Clip, type ClipDataset } from './data/clips.js';
export { epochOrder, batchIndices } from './data/order.js';

// Evaluation, fine-tuning, plots, backends.
export { retrievalRanks, retrievalMetrics, type RetrievalMetrics } from './eval/retrieval.js';
export { zeroShotRetrieval, formatZeroShot, type ZeroShotReport } from './eval/zero-shot.js';
export * from './eval/metrics.js';
export * from './eval/multi-caption.js';
export * from './eval/linear-probe.js';
export * from './finetune/classifier.js';
export * from './finetune/finetune.js';
export * from './finetune/losses.js';
export * from './finetune/views.js';
export * from './finetune/sources.js';
export * from './plot/index.js';
export { setupBackend, BACKEND_CHOICES, type BackendChoice, type BackendInfo } from './backend.js';
