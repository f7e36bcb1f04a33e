/**
 * Pretraining gradients in micro-batches that still use the WHOLE batch as negatives (the "gradient
 * cache" method): (1) embed the batch chunk by chunk without a tape; (2) compute the contrastive loss
 * on all embeddings and its gradient with respect to them; (3) for each chunk, run the forward pass
 * again with a tape and back-propagate that cached embedding gradient into the weights, summing over
 * chunks. The result equals the full-batch gradient, while activations are kept for one chunk at a
 * time — on wasm, whose heap stops at 4 GiB, this is what lets large batches train.
 *
 * Randomness (dropout, DropToken) is replayed: each chunk's second pass restores the random stream
 * state its first pass started from. BatchNorm in training mode normalises with each chunk's own
 * statistics (micro-batch BN), and its moving statistics are updated once per chunk, in the second pass.
 */
import * as tf from '@tensorflow/tfjs-core';
import { vattPretrainLossTerms } from '@vatt/losses';
import { random } from '@vatt/transformer';
import type { VATT, PretrainBatch } from '../model/vatt.js';
import type { GradientsResult } from './trainer.js';

interface ChunkEmbeddings {
  videoVa: tf.Tensor2D;
  videoVt: tf.Tensor2D;
  audioVa: tf.Tensor2D;
  textVt: tf.Tensor2D;
}

function sliceBatch(batch: PretrainBatch, start: number, size: number, k: number): PretrainBatch {
  const rows = (t: tf.Tensor, from: number, n: number) => tf.slice(t, [from, ...t.shape.slice(1).map(() => 0)], [n, ...t.shape.slice(1)]);
  return {
    videoPatches: rows(batch.videoPatches, start, size) as tf.Tensor3D,
    videoGrid: batch.videoGrid,
    audioPatches: rows(batch.audioPatches, start, size) as tf.Tensor3D,
    textIds: rows(batch.textIds, start * k, size * k) as tf.Tensor2D,
  };
}

function embedChunk(model: VATT, chunk: PretrainBatch): ChunkEmbeddings {
  return tf.tidy(() => {
    const v = model.embedVideo(chunk.videoPatches, chunk.videoGrid);
    const a = model.embedAudio(chunk.audioPatches);
    const t = model.embedText(chunk.textIds);
    return { videoVa: v.va, videoVt: v.vt, audioVa: a.va, textVt: t.vt };
  });
}

/** The embeddings of a whole batch (clips, and K captions per clip for `textVt`). */
export interface BatchEmbeddings {
  videoVa: tf.Tensor2D;
  videoVt: tf.Tensor2D;
  audioVa: tf.Tensor2D;
  textVt: tf.Tensor2D;
}

/**
 * The pretraining loss of a batch computed from its embeddings, and the loss's gradient with respect
 * to each embedding (in the order videoVa, videoVt, audioVa, textVt): step 2 of the gradient cache.
 */
export function embeddingLossGrads(
  model: VATT,
  all: BatchEmbeddings,
  k: number,
  textMask?: tf.Tensor1D,
): { total: tf.Scalar; embGrads: tf.Tensor[]; videoAudio: tf.Scalar; videoText: tf.Scalar } {
  let videoAudio: tf.Scalar | undefined;
  let videoText: tf.Scalar | undefined;
  const { value: total, grads: embGrads } = tf.valueAndGrads((vva: tf.Tensor, vvt: tf.Tensor, ava: tf.Tensor, tvt: tf.Tensor) => {
    const t = vattPretrainLossTerms({
      video_va: vva as tf.Tensor2D,
      audio: ava as tf.Tensor2D,
      video_vt: vvt as tf.Tensor2D,
      text: tvt as tf.Tensor2D,
      numCandidates: k,
      textMask,
      temperature: model.config.temperature,
      paperWeighting: model.config.lossWeighting === 'paper',
    });
    videoAudio = tf.keep(t.videoAudio);
    videoText = tf.keep(t.videoText);
    return t.total;
  })([all.videoVa, all.videoVt, all.audioVa, all.textVt]);
  return { total: total as tf.Scalar, embGrads, videoAudio: videoAudio!, videoText: videoText! };
}

/**
 * The pretraining loss and its gradients for `batch`, computed `chunkSize` clips at a time. Pass the
 * result to `Trainer.stepWith`. The model must be in training mode.
 */
export function chunkedPretrainGrads(model: VATT, batch: PretrainBatch, chunkSize: number, vars: tf.Variable[]): GradientsResult {
  const b = batch.videoPatches.shape[0];
  if (!(Number.isInteger(chunkSize) && chunkSize >= 1)) throw new Error(`chunkedPretrainGrads: chunkSize must be an integer >= 1, got ${chunkSize}`);
  if (batch.textIds.shape[0] % b !== 0) throw new Error(`chunkedPretrainGrads: textIds has ${batch.textIds.shape[0]} rows, expected B*K with B = ${b}`);
  const k = batch.textIds.shape[0] / b;
  const starts: number[] = [];
  for (let s = 0; s < b; s += chunkSize) starts.push(s);
  // A last chunk of one clip joins the one before it: BatchNorm in training mode maps one clip to a constant.
  if (starts.length > 1 && b - starts[starts.length - 1] === 1) starts.pop();
  const sizes = starts.map((s, i) => (i + 1 < starts.length ? starts[i + 1] : b) - s);

  // (1) Embeddings of every chunk, no tape. BatchNorm statistics are restored afterwards so that only
  // the taped pass below updates them.
  const moving = model.namedParameters().filter(([n]) => /moving_(mean|variance)$/.test(n));
  const saved = moving.map(([, v]) => tf.clone(v));
  const states: number[] = [];
  const parts: ChunkEmbeddings[] = starts.map((s, i) => {
    states.push(random.getRandomState());
    const chunk = sliceBatch(batch, s, sizes[i], k);
    const e = embedChunk(model, chunk);
    tf.dispose([chunk.videoPatches, chunk.audioPatches, chunk.textIds]);
    return e;
  });
  const endState = random.getRandomState();
  moving.forEach(([, v], i) => v.assign(saved[i]));
  tf.dispose(saved);

  // (2) Loss over the whole batch and its gradient with respect to the embeddings.
  const all = tf.tidy(() => ({
    videoVa: tf.concat(parts.map((p) => p.videoVa)) as tf.Tensor2D,
    videoVt: tf.concat(parts.map((p) => p.videoVt)) as tf.Tensor2D,
    audioVa: tf.concat(parts.map((p) => p.audioVa)) as tf.Tensor2D,
    textVt: tf.concat(parts.map((p) => p.textVt)) as tf.Tensor2D,
  }));
  parts.forEach((p) => tf.dispose(Object.values(p)));
  const { total, embGrads, videoAudio, videoText } = embeddingLossGrads(model, all, k, batch.textMask);
  tf.dispose(Object.values(all));

  // (3) Per chunk: replay the forward pass with a tape and push the cached gradient through it.
  let summed: tf.NamedTensorMap = {};
  starts.forEach((s, i) => {
    random.setRandomState(states[i]);
    const chunk = sliceBatch(batch, s, sizes[i], k);
    const g = embGrads.map((t, j) => tf.slice(t, [j === 3 ? s * k : s, 0], [j === 3 ? sizes[i] * k : sizes[i], -1]));
    const { value, grads } = tf.variableGrads(() => {
      const e = embedChunk(model, chunk);
      return tf.tidy(() => tf.addN([e.videoVa, e.videoVt, e.audioVa, e.textVt].map((x, j) => tf.sum(tf.mul(x, g[j])))) as tf.Scalar);
    }, vars);
    value.dispose();
    tf.dispose([...g, chunk.videoPatches, chunk.audioPatches, chunk.textIds]);
    const next: tf.NamedTensorMap = {};
    for (const [name, t] of Object.entries(grads)) next[name] = summed[name] ? tf.add(summed[name], t) : t;
    for (const [name, t] of Object.entries(summed)) if (next[name] !== t) t.dispose();
    for (const [name, t] of Object.entries(grads)) if (next[name] !== t) t.dispose();
    summed = next;
  });
  random.setRandomState(endState);
  tf.dispose(embGrads);
  return { value: total, grads: summed, metrics: { loss_va: videoAudio, loss_vt: videoText } };
}
