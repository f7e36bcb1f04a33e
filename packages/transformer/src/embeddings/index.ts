export { splineResampleMatrix, resamplePositions } from './spline.js';
export {
  FactorisedPositionEmbeddings,
  SpatioTemporalEmbeddings,
  TemporalEmbeddings,
  SpectroTemporalEmbeddings,
  positionRows,
  type PositionAxis,
  type PositionEmbeddingOptions,
} from './positions.js';
export { PatchProjection, fromConv3dKernel, toConv3dKernel, fromConvKernel } from './patch-projection.js';
export { prependAggToken, prependAggMask, aggTokenInit } from './agg-token.js';
export { dropToken, dropTokenKeepCount, dropTokenSelection, selectTokens, type DropTokenOptions, type TokenSelection } from './drop-token.js';
