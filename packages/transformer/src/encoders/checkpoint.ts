import * as tf from '@tensorflow/tfjs-core';
import * as random from '../random.js';

interface EngineTapeState {
  state: { activeTape: unknown };
}

/**
 * Activation checkpointing ("rematerialisation"): `fn(x, extras)` runs without recording its
 * intermediates for backprop; its gradient recomputes the forward pass with a tape, replaying the
 * same dropout draws, and back-propagates through it at once. Backprop then keeps only `inputs`
 * and `extras` instead of every activation and every intermediate gradient of `fn` — tfjs's tape
 * frees neither until the whole backward pass ends, which is what fills the 4 GiB wasm heap — at the
 * cost of one more forward pass of `fn`. Gradients flow to `inputs` and to `params` (the variables
 * `fn` uses, all of which must receive a gradient); `extras` (masks) get none.
 *
 * @example
 * const y = checkpoint(([h], [mask]) => layer.apply(h, { mask }), [x], layer.trainableVariables(), [mask]);
 */
export function checkpoint(
  fn: (inputs: tf.Tensor[], extras: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  params: tf.Variable[],
  extras: tf.Tensor[] = [],
): tf.Tensor {
  if (inputs.length === 0) throw new Error('checkpoint: needs at least one input tensor');
  const n = inputs.length;
  const startState = random.getRandomState();
  const run = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const xs = args.slice(0, n) as tf.Tensor[];
    save([...xs, ...extras]);
    return {
      value: fn(xs, extras),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const savedXs = saved.slice(0, n);
        const savedExtras = saved.slice(n);
        const engine = tf.engine() as unknown as EngineTapeState;
        // A nested gradients() call replaces and then clears the engine's tape, which the enclosing
        // backward pass still reads when it ends: keep it aside.
        const outerTape = engine.state.activeTape;
        try {
          // The recomputation draws the dropout masks of the first pass.
          return random.withRandomState(startState, () =>
            tf.grads((...t: tf.Tensor[]) => fn(t.slice(0, n), savedExtras))([...savedXs, ...params], Array.isArray(dy) ? dy[0] : dy),
          );
        } finally {
          engine.state.activeTape = outerTape;
        }
      },
    };
  });
  return run(...inputs, ...params);
}
