export { MultiHeadAttention, maskToBias, MASK_VALUE, type MultiHeadAttentionOptions, type AttentionInputs } from './attention.js';
export { Mlp, TransformerEncoderLayer, type TransformerEncoderLayerOptions } from './block.js';
export { EncoderStack } from './stack.js';
export { TransformerEncoder, type TransformerEncoderOptions, type EncoderInputs } from './transformer.js';
export { T5Encoder, type T5EncoderOptions } from './t5.js';
export { checkpoint } from './checkpoint.js';
export { relativePositionBucket, relativePositionBuckets, type RelativeBucketOptions } from './relative-position.js';
