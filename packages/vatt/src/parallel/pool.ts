/**
 * Data parallelism across worker_threads: each worker runs its own tfjs backend (a wasm backend is
 * one thread, so N workers use N cores) with a replica of the model; a batch is split along axis 0
 * into one contiguous shard per worker. Node only.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { random, type Module } from '@vatt/transformer';
import { workerEntry } from '@vatt/data';
import type { BackendChoice } from '../backend.js';
import { batchSizeOf, joinParts, lossAndOutputGrads, sliceSamples, type Chunk, type OutputsLoss } from '../train/grad-cache.js';
import { movingStatistics, type GradientsResult } from '../train/trainer.js';
import { buffersOf, namedFromWire, namedToWire, type Reply, type ReplicaSpec, type Request, type WireTensors } from './protocol.js';

export interface ReplicaPoolOptions {
  /** Worker threads, one replica each (default: the machine's cores). */
  workers?: number;
  /** Backend inside each worker (default `wasm`: one thread each). */
  backend?: BackendChoice;
  /** The module that builds a replica (see `Replica`), or a built-in one (`vatt:pretrain`). */
  replica: ReplicaSpec;
  /** Copied into every replica after it is built; default: each replica keeps its own initial weights. */
  weights?: Module | tf.NamedTensorMap;
}

export interface ShardedCallOptions {
  /** Samples in the batch (default: rows of the first input). Each input has a whole number of rows per sample. */
  batchSize?: number;
  /** Passed to the replica's forward/loss as is (structured-cloneable). */
  context?: unknown;
  /**
   * Where the chunks' random streams derive from (each chunk's from this state and its first sample), so a
   * `vjp` given the same state replays a `forward`'s dropout and DropToken exactly, on any number of
   * workers. Default: a draw from the main thread's stream.
   */
  randomState?: number;
  /** Inside each worker, run the shard this many samples at a time (bounds activation memory). */
  microBatch?: number;
}

export interface PoolGradients {
  /** Sum over shards of the replica losses (lossGradients only). */
  loss?: number;
  /** Gradients summed over shards, by parameter path (`namedTrainableParameters()` names). */
  grads: tf.NamedTensorMap;
  /** BatchNorm moving statistics (`movingStatistics`) after the pass, averaged over the workers. */
  state: tf.NamedTensorMap;
  /** Tensors alive in each worker after the pass (flat across calls when nothing leaks). */
  workerTensors: number[];
}

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  queue: Pending[];
  dead?: Error;
}

/** Contiguous shards of `batch` samples over at most `workers` workers, as even as possible. */
export function shardBatch(batch: number, workers: number): Chunk[] {
  const n = Math.min(workers, batch);
  const out: Chunk[] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const size = Math.floor(batch / n) + (i < batch % n ? 1 : 0);
    out.push({ start, size, batchSize: batch });
    start += size;
  }
  return out;
}

/** The rows of `shard` of every input, as transferable copies. */
function shardToWire(inputs: tf.NamedTensorMap, batch: number, shard: Chunk): WireTensors {
  const part = sliceSamples(inputs, batch, shard.start, shard.size);
  const wire = namedToWire(part);
  tf.dispose(Object.values(part));
  return wire;
}

/**
 * A pool of model replicas in worker_threads.
 *
 * @example
 * const pool = await ReplicaPool.create({ workers: 2, replica: { module: '/abs/my-replica.mjs', args: { layers: 6 } }, weights: model });
 * const { y } = await pool.forward({ x });                 // x: [B, ...] split over the workers
 * const { loss, grads } = await pool.lossGradients({ x }); // grads by parameter path
 * await pool.close();
 */
export class ReplicaPool {
  /** Each parameter of the replica model: path, shape, trainable. */
  parameters: Array<{ name: string; shape: number[]; trainable: boolean }> = [];
  /** The tfjs backend the workers run. */
  backend = '';
  private readonly slots: Slot[];
  private closed = false;

  private constructor(script: string, workers: number) {
    this.slots = Array.from({ length: workers }, () => this.spawn(script));
  }

  /** Starts the workers, builds a replica in each, and copies `weights` in. */
  static async create(opts: ReplicaPoolOptions): Promise<ReplicaPool> {
    const workers = opts.workers ?? availableParallelism();
    if (!(Number.isInteger(workers) && workers >= 1)) throw new Error(`ReplicaPool: workers must be an integer >= 1, got ${workers}`);
    const script = workerEntry(new URL('./parallel-worker.js', import.meta.url), new URL('./worker.ts', import.meta.url), import.meta.url);
    const pool = new ReplicaPool(script, workers);
    try {
      const replies = await pool.all(() => ({ op: 'init', backend: opts.backend ?? 'wasm', spec: opts.replica }));
      const first = replies[0] as Extract<Reply, { op: 'init' }>;
      pool.parameters = first.parameters;
      pool.backend = first.backend;
      if (opts.weights) await pool.setWeights(opts.weights);
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /** Number of workers. */
  get size(): number {
    return this.slots.length;
  }

  private spawn(script: string): Slot {
    const slot: Slot = { worker: new Worker(script), queue: [] };
    slot.worker.on('message', (reply: Reply) => {
      const p = slot.queue.shift();
      if (!p) return;
      if (reply.ok) p.resolve(reply);
      else p.reject(new Error(`ReplicaPool worker failed: ${reply.error}`));
    });
    const fail = (why: string) => {
      slot.dead = new Error(`ReplicaPool: a worker ${why}${this.closed ? ' (pool closed)' : ''}`);
      for (const p of slot.queue.splice(0)) p.reject(slot.dead);
    };
    slot.worker.on('error', (e) => fail(`crashed: ${e.message}`));
    slot.worker.on('exit', (code) => fail(`exited with code ${code}`));
    return slot;
  }

  private send(slot: Slot, req: Request, transfer: ArrayBuffer[] = []): Promise<Reply> {
    if (this.closed) return Promise.reject(new Error('ReplicaPool: closed'));
    if (slot.dead) return Promise.reject(slot.dead);
    return new Promise((resolve, reject) => {
      slot.queue.push({ resolve, reject });
      slot.worker.postMessage(req, transfer);
    });
  }

  private all(make: (i: number) => Request): Promise<Reply[]> {
    return Promise.all(this.slots.map((s, i) => this.send(s, make(i))));
  }

  /** Copies weights (a module's `namedWeights()` or a map by path) into every replica. */
  async setWeights(weights: Module | tf.NamedTensorMap): Promise<void> {
    const named = 'namedWeights' in weights && typeof weights.namedWeights === 'function' ? (weights as Module).namedWeights() : (weights as tf.NamedTensorMap);
    const wire = namedToWire(named);
    await this.all(() => ({ op: 'setWeights', weights: wire }));
  }

  private shards(inputs: tf.NamedTensorMap, opts: ShardedCallOptions): { batch: number; shards: Chunk[] } {
    const batch = batchSizeOf(inputs, opts.batchSize);
    return { batch, shards: shardBatch(batch, this.size) };
  }

  private async sharded(inputs: tf.NamedTensorMap, opts: ShardedCallOptions, make: (shard: Chunk, wire: WireTensors, i: number) => Request): Promise<Reply[]> {
    const { batch, shards } = this.shards(inputs, opts);
    return Promise.all(
      shards.map((shard, i) => {
        const wire = shardToWire(inputs, batch, shard);
        const req = make(shard, wire, i);
        // The shard's copies move to the worker instead of being copied again.
        const transfer = [...buffersOf(wire), ...(req.op === 'vjp' ? buffersOf(req.upstream) : [])];
        return this.send(this.slots[i], req, transfer);
      }),
    );
  }

  /** The replicas' forward outputs for the whole batch (shards concatenated in order). */
  async forward(inputs: tf.NamedTensorMap, opts: ShardedCallOptions & { training?: boolean } = {}): Promise<tf.NamedTensorMap> {
    const randomState = opts.randomState ?? random.nextUint32();
    const replies = (await this.sharded(inputs, opts, (shard, wire) => ({
      op: 'forward',
      inputs: wire,
      shard,
      context: opts.context,
      randomState,
      training: opts.training ?? false,
      microBatch: opts.microBatch,
    }))) as Array<Extract<Reply, { op: 'forward' }>>;
    return joinParts(replies.map((r) => namedFromWire(r.outputs)));
  }

  /** Gradients of the batch loss (the replica's `loss`, summed over shards), by parameter path. */
  async lossGradients(inputs: tf.NamedTensorMap, opts: ShardedCallOptions = {}): Promise<PoolGradients> {
    const randomState = opts.randomState ?? random.nextUint32();
    const replies = (await this.sharded(inputs, opts, (shard, wire) => ({
      op: 'lossGrads',
      inputs: wire,
      shard,
      context: opts.context,
      randomState,
      microBatch: opts.microBatch,
    }))) as Array<Extract<Reply, { op: 'lossGrads' }>>;
    return this.reduce(replies);
  }

  /**
   * Vector-Jacobian product: the gradient of `sum_k <forward(x)[k], upstream[k]>` with respect to
   * the weights, summed over shards. With `upstream` = dLoss/dOutputs of a loss computed on the
   * gathered outputs of `forward` (same `randomState`), this is that loss's gradient (gradient cache).
   */
  async vjp(inputs: tf.NamedTensorMap, upstream: tf.NamedTensorMap, opts: ShardedCallOptions = {}): Promise<PoolGradients> {
    const { batch } = this.shards(inputs, opts);
    for (const [k, t] of Object.entries(upstream)) {
      if (t.shape[0] % batch !== 0)
        throw new Error(`ReplicaPool.vjp: upstream "${k}" has ${t.shape[0]} rows, not a whole number per sample for a batch of ${batch}`);
    }
    const randomState = opts.randomState ?? random.nextUint32();
    const replies = (await this.sharded(inputs, opts, (shard, wire) => ({
      op: 'vjp',
      inputs: wire,
      upstream: shardToWire(upstream, batch, shard),
      shard,
      context: opts.context,
      randomState,
      microBatch: opts.microBatch,
    }))) as Array<Extract<Reply, { op: 'vjp' }>>;
    return this.reduce(replies);
  }

  /**
   * The gradient cache (train/grad-cache.ts) with its chunks on the workers: each embeds its shard
   * without a tape, the loss of the WHOLE batch runs here on the gathered outputs, and each worker replays
   * its shard and back-propagates its slice of the output gradient. Gradients by parameter path; the
   * replicas' BatchNorm statistics, averaged, are copied into `model` (the replicas must hold `model`'s
   * weights: `setWeights(model)` after every step).
   */
  async gradientCache(model: Module, inputs: tf.NamedTensorMap, loss: OutputsLoss, opts: ShardedCallOptions = {}): Promise<GradientsResult> {
    const call = { ...opts, randomState: opts.randomState ?? random.nextUint32() };
    const outputs = await this.forward(inputs, { ...call, training: true });
    const { value, grads: upstream, metrics } = lossAndOutputGrads(loss, outputs);
    tf.dispose(Object.values(outputs));
    const { grads, state } = await this.vjp(inputs, upstream, call);
    tf.dispose(Object.values(upstream));
    const stats = new Map(movingStatistics(model));
    for (const [path, s] of Object.entries(state)) stats.get(path)?.assign(s);
    tf.dispose(Object.values(state));
    return { value, grads, metrics };
  }

  private reduce(replies: Array<Extract<Reply, { op: 'lossGrads' | 'vjp' }>>): PoolGradients {
    const sums = tf.tidy(() => {
      const grads: tf.NamedTensorMap = {};
      const state: tf.NamedTensorMap = {};
      for (const r of replies) {
        const g = namedFromWire(r.grads);
        for (const [k, t] of Object.entries(g)) grads[k] = grads[k] ? tf.add(grads[k], t) : t;
      }
      const states = replies.map((r) => namedFromWire(r.state));
      for (const k of Object.keys(states[0])) state[k] = tf.div(tf.addN(states.map((s) => s[k])), replies.length);
      return { grads, state };
    });
    const loss = replies.every((r) => r.loss !== undefined) ? replies.reduce((s, r) => s + (r.loss as number), 0) : undefined;
    return { loss, ...sums, workerTensors: replies.map((r) => r.numTensors) };
  }

  /** Stops the workers (pending calls fail). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
