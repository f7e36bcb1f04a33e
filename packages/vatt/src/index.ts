/**
 * `vatt`: everything in `vatt/browser` (the model, configs, preprocessing, encoding, the checkpoint format)
 * plus what needs Node: checkpoint directories, training, worker threads, data sources on disk, evaluation
 * commands, plots and backend selection.
 */
export * from './browser.js';

// Checkpoint directories (Node).
export { saveCheckpoint, loadCheckpoint, readCheckpointInfo, CheckpointManager } from './checkpoint/store.js';
export { fileHandler, registerFileRouter, saveArtifacts, loadArtifacts } from './checkpoint/file-handler.js';
export { loadVatt } from './model/load.js';

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

// Data sources on disk.
export {
  readSource,
  isShardSpec,
  shardCaptions,
  evaluationClips,
  clipConfigFor,
  loaderBatches,
  pretrainBatchFromLoader,
  SHARD_VOCABULARY_FILE,
  type SourceInfo,
  type LoaderInput,
} from './data/sources.js';

// Evaluation, fine-tuning, plots, backends.
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

// ONNX export and the onnxruntime engine (Node: files, onnxruntime-node, batch embedding, search).
export * from './onnx/node-index.js';

// TensorFlow tensor bundles (checkpoints and SavedModel variables): read, write, object graphs (Node).
export * from './checkpoint/tf/index.js';

// The released VATT TensorFlow checkpoints: the official layout, import, export, inspection (Node).
export {
  importOfficialVatt,
  exportOfficialVatt,
  inspectTfCheckpoint,
  formatInspectReport,
  readWordEmbeddings,
  layoutVariables,
  detectFamily,
  resolveTarget,
  OFFICIAL_LAYOUT,
  CLASSIFIER_PRESETS,
  CLASSIFIER_PRESET_NAMES,
  OfficialCheckpointError,
  type ImportOptions,
  type ImportResult,
  type ExportOptions,
  type ExportResult,
  type ConversionProgress,
  type InspectReport,
  type InspectedTensor,
  type TargetSpec,
  type ClassifierPresetName,
  type ClassifierInput,
  type LayoutVariable,
  type OfficialFamily,
  type OfficialCheckpointErrorCode,
  type LayoutProblem,
  type WordTable,
} from './checkpoint/official/index.js';
