// See jest.config.cjs: registers tfjs-core's gradients (what `@tensorflow/tfjs` does on import).
require('@tensorflow/tfjs-core/dist/register_all_gradients');
