/**
 * Registers tfjs-core's gradient functions. `@tensorflow/tfjs-core` alone registers none (only the
 * `@tensorflow/tfjs` union package does), so without this `tf.variableGrads` fails with "gradient
 * function not found". The build bundles tfjs-core's `register_all_gradients` tree into this package
 * (tsup `noExternal`); it registers into the one global tfjs engine, so it also serves an application
 * that imports `@tensorflow/tfjs`. tfjs-core is imported first so its engine exists before the
 * registrations run.
 */
import '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
