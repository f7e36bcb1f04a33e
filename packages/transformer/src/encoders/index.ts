export { MultiHeadAttention, maskToBias, MASK_VALUE, type MultiHeadAttentionOptions, type AttentionInputs } from './attention.js';
export { Mlp, FeedForward, type MlpOptions, type FeedForwardOptions } from './feed-forward.js';
export {
  TransformerEncoderLayer,
  TransformerEncoder,
  type TransformerEncoderLayerOptions,
  type TransformerEncoderOptions,
  type EncoderInputs,
} from './transformer.js';
export { T5Encoder, T5EncoderLayer, T5SelfAttention, type T5EncoderOptions } from './t5.js';
export { checkpoint } from './checkpoint.js';
export { relativePositionBucket, relativePositionBuckets, type RelativeBucketOptions } from './relative-position.js';
