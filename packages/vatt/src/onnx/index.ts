/** The browser-safe part of the ONNX export and engine (re-exported by `vatt/browser`). */
export {
  ONNX_FORMAT,
  MANIFEST_FILE,
  TOWER_NAMES,
  parseOnnxManifest,
  type OnnxManifest,
  type OnnxTowerEntry,
  type OnnxTensorSpec,
  type TowerName,
} from './manifest.js';
export { buildTowerGraph, exportTowerBytes, vattOnnxRegistry, videoGeometry, audioGeometry, embeddingDims, type TowerGraph } from './export-models.js';
export { OnnxTowers, type OrtModuleLike, type OrtSessionLike, type OrtTensorLike, type TowerLoader, type OnnxTowersOptions } from './engine.js';
export { TfjsEmbedder, OnnxEmbedder, EMBEDDER_ENGINES, type Embedder, type EmbedderEngine, type EmbeddedAudio } from './embedder.js';
export { encodeNpy, decodeNpy } from './npy.js';
export { rankByCosine } from './rank.js';
export { embedderRetrieval } from './retrieval.js';
