/**
 * A ReplicaPool worker: one tfjs backend (its own wasm heap and thread) and one model replica.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { random } from '@vatt/transformer';
import { setupBackend, type BackendChoice } from '../backend.js';
import { buffersOf, namedFromWire, namedToWire, type Reply, type Request, type ShardInfo } from './protocol.js';
import type { Replica, ReplicaFactory } from './replica.js';
import { createPretrainReplica, VATT_PRETRAIN_REPLICA } from './vatt-replica.js';

if (!parentPort) throw new Error('vatt replica worker: must run inside worker_threads');
const port = parentPort;
let replica: Replica | undefined;

function need(): Replica {
  if (!replica) throw new Error('vatt replica worker: not initialised');
  return replica;
}

/** Rows [from, from + n) of every input (each has a whole number of rows per sample). */
function sliceSamples(inputs: tf.NamedTensorMap, samples: number, from: number, n: number): tf.NamedTensorMap {
  return Object.fromEntries(
    Object.entries(inputs).map(([k, t]) => {
      const per = t.shape[0] / samples;
      if (!Number.isInteger(per)) throw new Error(`input "${k}" has ${t.shape[0]} rows, not a multiple of the shard's ${samples} samples`);
      return [k, tf.slice(t, [from * per, ...t.shape.slice(1).map(() => 0)], [n * per, ...t.shape.slice(1)])];
    }),
  );
}

/**
 * The shard in chunks of `microBatch` samples (one chunk when unset). A last chunk of one sample
 * joins the one before it: BatchNorm in training mode maps a batch of one to a constant.
 */
function chunks(shard: ShardInfo, microBatch?: number): ShardInfo[] {
  const m = microBatch && microBatch > 0 ? microBatch : shard.size;
  const out: ShardInfo[] = [];
  for (let i = 0; i < shard.size; i += m) out.push({ start: shard.start + i, size: Math.min(m, shard.size - i), batchSize: shard.batchSize });
  if (out.length > 1 && out[out.length - 1].size === 1) out[out.length - 2].size += out.pop()!.size;
  return out;
}

function nonTrainable(r: Replica): Array<[string, tf.Variable]> {
  const trainable = new Set(r.module.namedTrainableParameters().map(([n]) => n));
  return r.module.namedParameters().filter(([n]) => !trainable.has(n));
}

function addInto(sum: tf.NamedTensorMap, grads: tf.NamedTensorMap): void {
  for (const [k, g] of Object.entries(grads)) {
    if (sum[k]) {
      const next = tf.add(sum[k], g);
      tf.dispose([sum[k], g]);
      sum[k] = next;
    } else sum[k] = g;
  }
}

/** Gradients by parameter path (the pool maps them to its own variables). */
function byPath(r: Replica, grads: tf.NamedTensorMap): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  for (const [path, v] of r.module.namedTrainableParameters()) if (grads[v.name]) out[path] = grads[v.name];
  return out;
}

function gradReply(r: Replica, op: 'lossGrads' | 'vjp', sum: tf.NamedTensorMap, loss?: number): { reply: Reply; transfer: ArrayBuffer[] } {
  const grads = namedToWire(sum);
  const state = namedToWire(Object.fromEntries(nonTrainable(r)));
  tf.dispose(Object.values(sum));
  const reply: Reply = { ok: true, op, loss, grads, state, numTensors: tf.memory().numTensors };
  return { reply, transfer: [...buffersOf(grads), ...buffersOf(state)] };
}

async function handle(req: Request): Promise<{ reply: Reply; transfer?: ArrayBuffer[] }> {
  switch (req.op) {
    case 'init': {
      const info = await setupBackend(req.backend as BackendChoice);
      const name = req.spec.export ?? 'createReplica';
      const builtIn: Record<string, unknown> = { [name]: createPretrainReplica };
      const url = isAbsolute(req.spec.module) ? pathToFileURL(req.spec.module).href : req.spec.module;
      const mod = req.spec.module === VATT_PRETRAIN_REPLICA ? builtIn : ((await import(url)) as Record<string, unknown>);
      const factory = mod[name];
      if (typeof factory !== 'function') throw new Error(`replica module ${req.spec.module} exports no function "${name}"`);
      replica = await (factory as ReplicaFactory)(req.spec.args);
      if (!replica?.module || typeof replica.forward !== 'function')
        throw new Error(`replica factory "${name}" in ${req.spec.module} must return { module, forward, loss? }`);
      const trainable = new Set(replica.module.namedTrainableParameters().map(([n]) => n));
      const parameters = replica.module.namedParameters().map(([n, v]) => ({ name: n, shape: v.shape.slice(), trainable: trainable.has(n) }));
      return { reply: { ok: true, op: 'init', backend: info.name, parameters } };
    }
    case 'setWeights': {
      const weights = namedFromWire(req.weights);
      need().module.loadWeights(weights);
      tf.dispose(Object.values(weights));
      return { reply: { ok: true, op: 'setWeights' } };
    }
    case 'forward': {
      const r = need();
      r.module.train(req.training);
      if (req.randomState !== undefined) random.setRandomState(req.randomState);
      // Training-mode forward passes (the first pass of a gradient cache) leave BatchNorm statistics alone.
      const saved = req.training ? nonTrainable(r).map(([, v]) => tf.clone(v)) : [];
      const inputs = namedFromWire(req.inputs);
      const parts: tf.NamedTensorMap[] = chunks(req.shard, req.microBatch).map((c) =>
        tf.tidy(() => r.forward(sliceSamples(inputs, req.shard.size, c.start - req.shard.start, c.size), c, req.context)),
      );
      if (req.training) nonTrainable(r).forEach(([, v], i) => v.assign(saved[i]));
      tf.dispose([...saved, ...Object.values(inputs)]);
      const joined = tf.tidy(() =>
        Object.fromEntries(Object.keys(parts[0]).map((k) => [k, parts.length === 1 ? tf.clone(parts[0][k]) : tf.concat(parts.map((p) => p[k]))])),
      );
      parts.forEach((p) => tf.dispose(Object.values(p)));
      const outputs = namedToWire(joined);
      tf.dispose(Object.values(joined));
      return { reply: { ok: true, op: 'forward', outputs }, transfer: buffersOf(outputs) };
    }
    case 'lossGrads': {
      const r = need();
      const lossFn = r.loss;
      if (!lossFn) throw new Error('lossGradients: the replica has no loss()');
      r.module.train(true);
      if (req.randomState !== undefined) random.setRandomState(req.randomState);
      const inputs = namedFromWire(req.inputs);
      const sum: tf.NamedTensorMap = {};
      let loss = 0;
      for (const c of chunks(req.shard, req.microBatch)) {
        const part = sliceSamples(inputs, req.shard.size, c.start - req.shard.start, c.size);
        const { value, grads } = tf.variableGrads(() => lossFn.call(r, part, c, req.context), r.module.trainableVariables());
        loss += (await value.data())[0];
        tf.dispose([value, ...Object.values(part)]);
        addInto(sum, byPath(r, grads));
      }
      tf.dispose(Object.values(inputs));
      return gradReply(r, 'lossGrads', sum, loss);
    }
    case 'vjp': {
      const r = need();
      r.module.train(true);
      if (req.randomState !== undefined) random.setRandomState(req.randomState);
      const inputs = namedFromWire(req.inputs);
      const upstream = namedFromWire(req.upstream);
      const sum: tf.NamedTensorMap = {};
      for (const c of chunks(req.shard, req.microBatch)) {
        const offset = c.start - req.shard.start;
        const part = sliceSamples(inputs, req.shard.size, offset, c.size);
        const dy = sliceSamples(upstream, req.shard.size, offset, c.size);
        const { value, grads } = tf.variableGrads(() => {
          const out = r.forward(part, c, req.context);
          const missing = Object.keys(dy).filter((k) => !out[k]);
          if (missing.length) throw new Error(`vjp: the replica's forward() returned no output ${missing.join(', ')}`);
          return tf.addN(Object.keys(dy).map((k) => tf.sum(tf.mul(out[k], dy[k])))) as tf.Scalar;
        }, r.module.trainableVariables());
        tf.dispose([value, ...Object.values(part), ...Object.values(dy)]);
        addInto(sum, byPath(r, grads));
      }
      tf.dispose([...Object.values(inputs), ...Object.values(upstream)]);
      return gradReply(r, 'vjp', sum);
    }
    case 'dispose':
      replica?.module.dispose();
      replica = undefined;
      return { reply: { ok: true, op: 'dispose' } };
  }
}

// One request at a time, in order.
let queue: Promise<void> = Promise.resolve();
port.on('message', (req: Request) => {
  queue = queue.then(async () => {
    try {
      const { reply, transfer } = await handle(req);
      port.postMessage(reply, transfer ?? []);
    } catch (e) {
      port.postMessage({ ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies Reply);
    }
  });
});
