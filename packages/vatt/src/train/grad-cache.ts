/**
 * The gradient cache: gradients of a contrastive loss over a WHOLE batch, computed a few samples at a time.
 * (1) embed the batch chunk by chunk without a tape; (2) compute the loss on all embeddings and its gradient
 * with respect to them; (3) for each chunk, run the forward pass again with a tape and back-propagate that
 * chunk's slice of the embedding gradient into the weights, summing over chunks. The result equals the
 * full-batch gradient while activations are kept for one chunk at a time: on wasm, whose heap stops at
 * 4 GiB, this is what lets large batches train, with every clip still a negative for every other.
 *
 * One engine for every way of training: a single chunk is plain backprop (`tf.variableGrads` on
 * loss(embed(batch))); micro-batches run all three steps on this thread; a `ReplicaPool` runs steps 1 and 3
 * in worker threads (`embedChunks` / `replayChunks` on each worker's shard) and step 2 here.
 *
 * Randomness (dropout, DropToken) is replayed: each chunk's passes start from the random state
 * `hashSeed(stepState, chunk.start)`, so step 3 draws the masks step 1 drew, wherever the chunk runs.
 * BatchNorm in training mode normalises with each chunk's own statistics (micro-batch BN); its moving
 * statistics are updated by the taped pass only.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hashSeed } from '@vatt/tokenizers';
import { random, type Module } from '@vatt/transformer';
import { byPath, movingStatistics, type GradientsResult } from './trainer.js';

/** Rows [start, start + size) of a batch of `batchSize` samples. */
export interface Chunk {
  start: number;
  size: number;
  batchSize: number;
}

/**
 * A model the engine can run: named inputs with a whole number of rows per sample (video patches: 1,
 * captions: K) -> named outputs (embeddings) with one or more rows per sample.
 */
export interface ChunkModel {
  /** The module whose trainable parameters receive the gradients. */
  module: Module;
  /** Outputs for one chunk of inputs (run in the module's current train/eval mode). */
  forward(inputs: tf.NamedTensorMap, chunk: Chunk, context?: unknown): tf.NamedTensorMap;
}

/** Engine settings for one batch. */
export interface ChunkOptions {
  /** Samples in the batch (default: rows of the first input). */
  batchSize?: number;
  /** Passed to `forward` as is. */
  context?: unknown;
  /** Where the chunks' random streams derive from; the same state replays the same masks. */
  randomState: number;
}

/**
 * The batch in chunks of `size` samples (one chunk when unset or >= the batch), starting at `start`. A last
 * chunk of one sample joins the one before it: BatchNorm in training mode maps a batch of one to a constant.
 */
export function sampleChunks(batchSize: number, size?: number, range: { start: number; size: number } = { start: 0, size: batchSize }): Chunk[] {
  const m = size && size > 0 ? size : range.size;
  if (!Number.isInteger(m) || m < 1) throw new Error(`gradient cache: chunk size must be an integer >= 1, got ${size}`);
  const out: Chunk[] = [];
  for (let i = 0; i < range.size; i += m) out.push({ start: range.start + i, size: Math.min(m, range.size - i), batchSize });
  if (out.length > 1 && out[out.length - 1].size === 1) out[out.length - 2].size += out.pop()!.size;
  return out;
}

/** The random state a chunk's passes start from. */
export function chunkRandomState(state: number, chunk: Chunk): number {
  return hashSeed(state, chunk.start);
}

/** Samples in a batch of named inputs, checking every input has a whole number of rows per sample. */
export function batchSizeOf(inputs: tf.NamedTensorMap, batchSize?: number): number {
  const first = Object.values(inputs)[0];
  if (!first) throw new Error('gradient cache: no inputs');
  const b = batchSize ?? first.shape[0];
  for (const [k, t] of Object.entries(inputs)) {
    if (t.shape[0] % b !== 0) throw new Error(`input "${k}" has ${t.shape[0]} rows, not a whole number per sample for a batch of ${b}`);
  }
  return b;
}

/**
 * Rows of samples [from, from + n) of every input of a batch of `samples` samples (an input with K rows per
 * sample gives K·n rows). Tensors owned by the caller.
 */
export function sliceSamples(inputs: tf.NamedTensorMap, samples: number, from: number, n: number): tf.NamedTensorMap {
  return Object.fromEntries(
    Object.entries(inputs).map(([k, t]) => {
      const per = t.shape[0] / samples;
      if (!Number.isInteger(per)) throw new Error(`input "${k}" has ${t.shape[0]} rows, not a whole number per sample for ${samples} samples`);
      return [k, tf.slice(t, [from * per, ...t.shape.slice(1).map(() => 0)], [n * per, ...t.shape.slice(1)])];
    }),
  );
}

/** Concatenates the chunks' (or a pool's shards') outputs in order; disposes the parts. */
export function joinParts(parts: tf.NamedTensorMap[]): tf.NamedTensorMap {
  const out = tf.tidy(() =>
    Object.fromEntries(Object.keys(parts[0]).map((k) => [k, parts.length === 1 ? tf.clone(parts[0][k]) : tf.concat(parts.map((p) => p[k]))])),
  );
  parts.forEach((p) => tf.dispose(Object.values(p)));
  return out;
}

/**
 * Step 1: the outputs of `chunks` (samples of `inputs`, which holds rows `offset`.. of the batch) without a
 * tape, concatenated. In training mode the module's BatchNorm moving statistics (`movingStatistics`) are
 * left as they were: only the taped replay updates them.
 */
export function embedChunks(
  model: ChunkModel,
  inputs: tf.NamedTensorMap,
  chunks: readonly Chunk[],
  opts: ChunkOptions & { offset?: number },
): tf.NamedTensorMap {
  const samples = chunks.reduce((s, c) => s + c.size, 0);
  const offset = opts.offset ?? chunks[0].start;
  const frozen = model.module.training ? movingStatistics(model.module) : [];
  const saved = frozen.map(([, v]) => tf.clone(v));
  const parts = chunks.map((c) =>
    random.withRandomState(chunkRandomState(opts.randomState, c), () =>
      tf.tidy(() => model.forward(sliceSamples(inputs, samples, c.start - offset, c.size), c, opts.context)),
    ),
  );
  frozen.forEach(([, v], i) => v.assign(saved[i]));
  tf.dispose(saved);
  return joinParts(parts);
}

/**
 * Step 3: for each chunk, the forward pass again with a tape (same random state as step 1) and the gradient
 * of `sum_k <outputs[k], upstream[k]>` with respect to the module's trainable parameters, summed over the
 * chunks, keyed by parameter path. `upstream` holds the same rows as `inputs`.
 */
export function replayChunks(
  model: ChunkModel,
  inputs: tf.NamedTensorMap,
  upstream: tf.NamedTensorMap,
  chunks: readonly Chunk[],
  opts: ChunkOptions & { offset?: number },
): tf.NamedTensorMap {
  const samples = chunks.reduce((s, c) => s + c.size, 0);
  const offset = opts.offset ?? chunks[0].start;
  const vars = model.module.trainableVariables();
  const sum: tf.NamedTensorMap = {};
  for (const c of chunks) {
    const part = sliceSamples(inputs, samples, c.start - offset, c.size);
    const dy = sliceSamples(upstream, samples, c.start - offset, c.size);
    const { value, grads } = random.withRandomState(chunkRandomState(opts.randomState, c), () =>
      tf.variableGrads(() => {
        const out = model.forward(part, c, opts.context);
        const missing = Object.keys(dy).filter((k) => !out[k]);
        if (missing.length) throw new Error(`gradient cache: forward() returned no output ${missing.join(', ')}`);
        return tf.addN(Object.keys(dy).map((k) => tf.sum(tf.mul(out[k], dy[k])))) as tf.Scalar;
      }, vars),
    );
    tf.dispose([value, ...Object.values(part), ...Object.values(dy)]);
    addInto(sum, byPath(model.module, grads));
  }
  return sum;
}

/** Adds `grads` into `sum` (disposing what it replaces). */
export function addInto(sum: tf.NamedTensorMap, grads: tf.NamedTensorMap): void {
  for (const [k, g] of Object.entries(grads)) {
    if (sum[k]) {
      const next = tf.add(sum[k], g);
      tf.dispose([sum[k], g]);
      sum[k] = next;
    } else sum[k] = g;
  }
}

/** A loss of a whole batch's outputs: the scalar to minimise and scalars to log. */
export type OutputsLoss = (outputs: tf.NamedTensorMap) => { loss: tf.Scalar; metrics?: Record<string, tf.Scalar> };

/**
 * Step 2: the loss of the gathered outputs and its gradient with respect to each of them (the tensors
 * `replayChunks` back-propagates). Disposes nothing it is given.
 */
export function lossAndOutputGrads(
  loss: OutputsLoss,
  outputs: tf.NamedTensorMap,
): { value: tf.Scalar; grads: tf.NamedTensorMap; metrics: Record<string, tf.Scalar> } {
  const keys = Object.keys(outputs);
  let metrics: Record<string, tf.Scalar> = {};
  const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => {
    const r = loss(Object.fromEntries(keys.map((k, i) => [k, xs[i]])));
    metrics = Object.fromEntries(Object.entries(r.metrics ?? {}).map(([k, t]) => [k, tf.keep(t)]));
    return r.loss;
  })(keys.map((k) => outputs[k]));
  return { value: value as tf.Scalar, grads: Object.fromEntries(keys.map((k, i) => [k, grads[i]])), metrics };
}

/**
 * The loss of a whole batch and its gradients (by parameter path), `chunkSize` samples at a time on this
 * thread. Pass the result to `Trainer.stepWith`. One chunk (the default) is plain backprop with the global
 * random stream; several draw one step state from it.
 *
 * @example
 * const r = await trainer.stepWith(() => gradientCache(vattChunkModel(model), inputs, lossFn, { chunkSize: 4, context }));
 */
export function gradientCache(
  model: ChunkModel,
  inputs: tf.NamedTensorMap,
  loss: OutputsLoss,
  opts: { chunkSize?: number; batchSize?: number; context?: unknown } = {},
): GradientsResult {
  const b = batchSizeOf(inputs, opts.batchSize);
  const chunks = sampleChunks(b, opts.chunkSize);
  if (chunks.length === 1) {
    let metrics: Record<string, tf.Scalar> = {};
    const { value, grads } = tf.variableGrads(() => {
      const r = loss(model.forward(inputs, chunks[0], opts.context));
      metrics = Object.fromEntries(Object.entries(r.metrics ?? {}).map(([k, t]) => [k, tf.keep(t)]));
      return r.loss;
    }, model.module.trainableVariables());
    return { value, grads: byPath(model.module, grads), metrics };
  }
  const call = { batchSize: b, context: opts.context, randomState: random.nextUint32() };
  const outputs = embedChunks(model, inputs, chunks, call);
  const { value, grads: upstream, metrics } = lossAndOutputGrads(loss, outputs);
  tf.dispose(Object.values(outputs));
  const grads = replayChunks(model, inputs, upstream, chunks, call);
  tf.dispose(Object.values(upstream));
  return { value, grads, metrics };
}
