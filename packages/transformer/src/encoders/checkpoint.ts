import * as tf from '@tensorflow/tfjs-core';
import * as random from '../random.js';

interface EngineTapeState {
  state: { activeTape: unknown };
}

/**
 * Activation checkpointing ("rematerialisation"): `fn(x, extras)` runs without recording its
 * intermediates for backprop; its gradient recomputes the forward pass with a tape, replaying the
 * same dropout draws, and back-propagates through it at once. Backprop then keeps only `x` and
 * `extras` instead of every activation and every intermediate gradient of `fn` — tfjs's tape frees
 * neither until the whole backward pass ends, which is what fills the 4 GiB wasm heap — at the cost
 * of one more forward pass of `fn`. Gradients flow to `x` and to `params` (the variables `fn` uses,
 * all of which must receive a gradient); `extras` (masks) get none.
 *
 * @example
 * const y = checkpoint((h, [mask]) => layer.apply(h, { mask }), x, layer.trainableVariables(), [mask]);
 */
export function checkpoint(fn: (x: tf.Tensor, extras: tf.Tensor[]) => tf.Tensor, x: tf.Tensor, params: tf.Variable[], extras: tf.Tensor[] = []): tf.Tensor {
  const startState = random.getRandomState();
  const run = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const input = args[0] as tf.Tensor;
    save([input, ...extras]);
    return {
      value: fn(input, extras),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [savedX, ...savedExtras] = saved;
        const engine = tf.engine() as unknown as EngineTapeState;
        // A nested gradients() call replaces and then clears the engine's tape, which the enclosing
        // backward pass still reads when it ends: keep it aside.
        const outerTape = engine.state.activeTape;
        const resume = random.getRandomState();
        random.setRandomState(startState);
        try {
          return tf.grads((h: tf.Tensor) => fn(h, savedExtras))([savedX, ...params], Array.isArray(dy) ? dy[0] : dy);
        } finally {
          random.setRandomState(resume);
          engine.state.activeTape = outerTape;
        }
      },
    };
  });
  return run(x, ...params);
}
