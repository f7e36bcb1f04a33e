/** The Node-only part of the ONNX export and engine (re-exported by `vatt`). */
export {
  loadOnnxRuntime,
  exportOnnx,
  readOnnxManifest,
  isOnnxFolder,
  resolveCheckpointDir,
  openOnnxEmbedder,
  openEmbedder,
  type ExportOnnxOptions,
  type NodeOnnxOptions,
  type OpenEmbedderOptions,
} from './node.js';
export {
  embedDataset,
  readEmbeddingIndex,
  decodeForEmbedding,
  EmbedInterrupted,
  INDEX_FORMAT,
  INDEX_KEYS,
  type EmbedDatasetOptions,
  type EmbeddingIndex,
  type EmbeddingIndexInfo,
  type IndexEntry,
  type IndexKey,
  type DecodedClip,
  type InMemorySource,
} from './batch-embed.js';
export { searchIndex, type SearchHit, type SearchQuery, type SearchOptions, type SearchSpace } from './search.js';
