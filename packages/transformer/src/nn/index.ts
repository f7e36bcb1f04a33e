export { gelu, activate, type Activation } from './activations.js';
export { Dense, type DenseOptions } from './dense.js';
export { dropout, Dropout } from './dropout.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export { LayerNorm, RMSNorm, BatchNorm, type NormOptions, type BatchNormOptions } from './norm.js';
export { matMul } from './matmul.js';
export { installWasmKernels, WASM_BATCH_MATMUL } from './wasm-kernels.js';
export { Sequential, type SequentialStep } from './sequential.js';
