export const VERSION = '0.1.0';
export * from './module.js';
export * as initializers from './initializers.js';
export type { Initializer } from './initializers.js';
export * as random from './random.js';
export * from './nn/index.js';
export * from './encoders/index.js';
