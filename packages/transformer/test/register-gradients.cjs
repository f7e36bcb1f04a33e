// See jest.config.cjs: registers tfjs-core's gradients (what `@tensorflow/tfjs` does on import).
// The Node bundle is loaded first so that it creates the global engine; the gradient tree (a second
// copy of tfjs-core's modules) then registers into that engine. In the other order identity-like
// kernels (a float32 -> float32 Cast, a same-shape Reshape) lose their gradient.
require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-core/dist/register_all_gradients');
