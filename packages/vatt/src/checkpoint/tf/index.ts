/**
 * TensorFlow checkpoints (tensor bundles): read, verify, walk the object graph, write. See
 * bundle-reader.ts, bundle-writer.ts, object-graph.ts, table.ts for the format and its TensorFlow sources.
 */
export {
  openTfCheckpoint,
  resolveTfCheckpoint,
  TfCheckpointReader,
  dataFilename,
  indexFilename,
  type TfBundleEntry,
  type TfCheckpointLayout,
} from './bundle-reader.js';
export { writeTfCheckpoint, TfCheckpointWriter, encodeStringTensor, type TfTensorInput, type TfWriteOptions, type TfWriteResult } from './bundle-writer.js';
export {
  OBJECT_GRAPH_KEY,
  VARIABLE_VALUE,
  decodeObjectGraph,
  encodeObjectGraph,
  walkObjectGraph,
  buildObjectGraph,
  escapeLocalName,
  type TfObjectGraph,
  type TfTrackableObject,
  type TfGraphWalk,
  type TfGraphVariable,
  type TfGraphSlot,
  type TfGraphAttribute,
  type TfGraphVariableSpec,
  type TfBuiltObjectGraph,
} from './object-graph.js';
export {
  toFloat32,
  float16ToFloat32,
  bfloat16ToFloat32,
  float32ToFloat16,
  float32ToBfloat16,
  dtypeCode,
  dtypeName,
  numElements,
  type TfDType,
  type TfNumericDType,
  type TfTensor,
  type TfNumericTensor,
  type TfStringTensor,
  type TfArrayOf,
} from './dtypes.js';
export { TfCheckpointError, type TfCheckpointErrorCode, type TfCheckpointErrorDetails } from './errors.js';
export { readTable, buildTable, type TableEntry, type TableOptions } from './table.js';
export type { TfBundleHeader, TfSliceExtent } from './proto.js';
