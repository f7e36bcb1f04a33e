/**
 * The released VATT checkpoints (TensorFlow, google-research/google-research `vatt/`) and this project's:
 * the layout table (layout.ts), import, export, inspection, the official text files.
 */
export {
  OFFICIAL_LAYOUT,
  NON_MODEL_VARIABLES,
  layoutVariables,
  layoutDims,
  familyOfConfig,
  detectFamily,
  variableKey,
  type OfficialFamily,
  type LayoutEntry,
  type LayoutPart,
  type LayoutDims,
  type LayoutVariable,
  type LayoutSource,
  type LayoutBasis,
  type ShapeTransform,
  type FamilyLayout,
} from './layout.js';
export {
  CLASSIFIER_PRESETS,
  CLASSIFIER_PRESET_NAMES,
  resolveTarget,
  presetsOfFamily,
  type ClassifierPreset,
  type ClassifierPresetName,
  type ClassifierInput,
  type TargetSpec,
  type ImportTarget,
} from './targets.js';
export { importOfficialVatt, type ImportOptions, type ImportResult, type ConversionProgress } from './import.js';
export { exportOfficialVatt, type ExportOptions, type ExportResult } from './export.js';
export { inspectTfCheckpoint, formatInspectReport, type InspectReport, type InspectedTensor, type InspectRole } from './inspect.js';
export { scanCheckpoint, matchTarget, type CheckpointScan, type MatchResult, type ScannedVariable } from './match.js';
export { readWordEmbeddings, type WordTable } from './word-embeddings.js';
export { ProjectCheckpointReader, ProjectCheckpointWriter, type ProjectWeight, type ProjectMeta } from './project-io.js';
export { OfficialCheckpointError, type OfficialCheckpointErrorCode, type LayoutProblem } from './errors.js';
