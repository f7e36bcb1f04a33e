/**
 * A ReplicaPool worker: one tfjs backend (its own wasm heap and thread) and one model replica, which runs
 * the gradient-cache engine's steps on the worker's shard of each batch.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { random } from '@vatt/transformer';
import { setupBackend, type BackendChoice } from '../backend.js';
import { addInto, chunkRandomState, embedChunks, replayChunks, sampleChunks, sliceSamples } from '../train/grad-cache.js';
import { byPath, movingStatistics } from '../train/trainer.js';
import { buffersOf, namedFromWire, namedToWire, type Reply, type Request } from './protocol.js';
import { replicaFactory } from './registry.js';
import type { Replica } from './replica.js';

if (!parentPort) throw new Error('vatt replica worker: must run inside worker_threads');
const port = parentPort;
let replica: Replica | undefined;

function need(): Replica {
  if (!replica) throw new Error('vatt replica worker: not initialised');
  return replica;
}

function gradReply(r: Replica, op: 'lossGrads' | 'vjp', sum: tf.NamedTensorMap, loss?: number): { reply: Reply; transfer: ArrayBuffer[] } {
  const grads = namedToWire(sum);
  const state = namedToWire(Object.fromEntries(movingStatistics(r.module)));
  tf.dispose(Object.values(sum));
  const reply: Reply = { ok: true, op, loss, grads, state, numTensors: tf.memory().numTensors };
  return { reply, transfer: [...buffersOf(grads), ...buffersOf(state)] };
}

async function handle(req: Request): Promise<{ reply: Reply; transfer?: ArrayBuffer[] }> {
  switch (req.op) {
    case 'init': {
      const info = await setupBackend(req.backend as BackendChoice);
      const factory = await replicaFactory(req.spec);
      replica = await factory(req.spec.args);
      if (!replica?.module || typeof replica.forward !== 'function') {
        throw new Error(`replica factory for ${req.spec.module} must return { module, forward, loss? }`);
      }
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
      const inputs = namedFromWire(req.inputs);
      const chunks = sampleChunks(req.shard.batchSize, req.microBatch, req.shard);
      const joined = embedChunks(r, inputs, chunks, { context: req.context, randomState: req.randomState });
      tf.dispose(Object.values(inputs));
      const outputs = namedToWire(joined);
      tf.dispose(Object.values(joined));
      return { reply: { ok: true, op: 'forward', outputs }, transfer: buffersOf(outputs) };
    }
    case 'lossGrads': {
      const r = need();
      const lossFn = r.loss;
      if (!lossFn) throw new Error('lossGradients: the replica has no loss()');
      r.module.train(true);
      const inputs = namedFromWire(req.inputs);
      const sum: tf.NamedTensorMap = {};
      let loss = 0;
      for (const c of sampleChunks(req.shard.batchSize, req.microBatch, req.shard)) {
        const part = sliceSamples(inputs, req.shard.size, c.start - req.shard.start, c.size);
        const { value, grads } = random.withRandomState(chunkRandomState(req.randomState, c), () =>
          tf.variableGrads(() => lossFn.call(r, part, c, req.context), r.module.trainableVariables()),
        );
        loss += (await value.data())[0];
        tf.dispose([value, ...Object.values(part)]);
        addInto(sum, byPath(r.module, grads));
      }
      tf.dispose(Object.values(inputs));
      return gradReply(r, 'lossGrads', sum, loss);
    }
    case 'vjp': {
      const r = need();
      r.module.train(true);
      const inputs = namedFromWire(req.inputs);
      const upstream = namedFromWire(req.upstream);
      const chunks = sampleChunks(req.shard.batchSize, req.microBatch, req.shard);
      const sum = replayChunks(r, inputs, upstream, chunks, { context: req.context, randomState: req.randomState });
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
