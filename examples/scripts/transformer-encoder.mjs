// The @vatt/transformer README example: a new 1-D modality (a 3-axis IMU-like signal) through a window
// tokenizer, 1-D position embeddings and a pre-LN Transformer encoder, then one gradient.
//   node examples/scripts/transformer-encoder.mjs      (after npm run build)
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Dense, TemporalEmbeddings, TransformerEncoder, random } from '@vatt/transformer';

random.setSeed(0);
const d = 32;
const tokenizer = new Dense('window_projection', 16 * 3, d); // 16 samples x 3 axes per token
const positions = new TemporalEmbeddings('pos_embedding_lookup', d, 8); // up to 8 tokens
const encoder = new TransformerEncoder('tx', { numLayers: 2, dModel: d, numHeads: 4, dFF: 4 * d });

const signal = tf.randomNormal([2, 128, 3], 0, 1, 'float32', 1); // [B, T, axes]
const target = tf.randomNormal([2, 8, d], 0, 1, 'float32', 2);
const encode = () => {
  const tokens = tokenizer.apply(tf.reshape(signal, [2, 8, 16 * 3])); // [B, 8, d]
  return encoder.apply(positions.apply(tokens)); // [B, 8, d]
};
const out = tf.tidy(encode);
console.log('tokens out', out.shape, 'parameters', tokenizer.countParams() + positions.countParams() + encoder.countParams());

const params = [tokenizer, positions, encoder].flatMap((m) => m.namedTrainableParameters());
const { value, grads } = tf.variableGrads(
  () => tf.mean(tf.square(tf.sub(encode(), target))),
  params.map(([, v]) => v),
);
console.log('loss', value.dataSync()[0].toFixed(4), 'gradients', Object.keys(grads).length);
tf.dispose([out, value, signal, target, ...Object.values(grads)]);
console.log('tensors left', tf.memory().numTensors - params.length);
