export { COLORS, SHAPES, MOTIONS, allCombinations, attributeKey, type ClipAttributes, type Color, type Shape, type Motion } from './attributes.js';
export { describe as describeClip, captionsFor, EMBEDDED_VOCAB } from './captions.js';
export { renderClip, type RenderOptions, type RenderedClip } from './render.js';
export { EmbeddedDataset, EMBEDDED_DEFAULTS, type EmbeddedDatasetOptions, type EmbeddedClip } from './dataset.js';
