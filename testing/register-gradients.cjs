// Registers tfjs-core's gradients for the tests, as `@vatt/transformer`'s build does for users
// (tfjs-core's Node bundle registers none; `@tensorflow/tfjs-core/dist/register_all_gradients` is an
// ES-module tree that jest compiles to CommonJS through swc, see jest.preset.cjs). The Node bundle
// loads first so it creates the global engine the gradient tree then registers into.
require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-core/dist/register_all_gradients');
