// The consumer example, as an application that installed the packed tarballs would write it (ESM).
// The CommonJS twin is example.cjs; both print one JSON line that run.mjs checks.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { EMBEDDED_VOCAB } from '@vatt/data/embedded';
import { vattPretrainLossTerms } from '@vatt/losses';
import { Rng } from '@vatt/tokenizers';
import { TRANSFORMER_SIZES, random } from '@vatt/transformer';
import {
  ReplicaPool,
  VATT,
  VATT_PRETRAIN_REPLICA,
  VattPreprocessor,
  Trainer,
  applyOverrides,
  embeddedSplits,
  encodeText,
  getPreset,
  loadArtifacts,
  loadVatt,
  makePretrainBatch,
  pretrain,
  pretrainGradients,
  setupBackend,
} from 'vatt';
import { loadVattFrom } from 'vatt/browser';

const backend = await setupBackend('cpu');
const { model: config, preprocessing, experiment } = getPreset('tiny');
const data = embeddedSplits(preprocessing, 0, { trainVariants: 1 });
const pre = new VattPreprocessor(preprocessing, data.vocab);
const model = new VATT(config);

const text = await encodeText(model, pre, ['a red circle moves left']);
const trainer = new Trainer({ model, schedule: { kind: 'constant', baseLr: 1e-3, endLr: 1e-3, warmupSteps: 0, totalSteps: 1 } });
const [name, weight] = model.namedTrainableParameters()[0];
const before = weight.dataSync().slice();
const batch = makePretrainBatch(pre, data.train, [0, 1, 2, 3]);
model.train();
const step = await trainer.trainStep(() => {
  const { total, lossVa, lossVt } = model.pretrainLoss(batch);
  return { loss: total, metrics: { lossVa, lossVt } };
});
const after = weight.dataSync();

// The loss of @vatt/losses on the model's embeddings is the model's loss.
model.eval();
const lossDiff = tf.tidy(() => {
  const e = model.pretrainEmbeddings(batch);
  const k = preprocessing.text.numCandidates;
  return Math.abs(vattPretrainLossTerms({ ...e, numCandidates: k }).total.dataSync()[0] - model.lossOnEmbeddings(e, k).total.dataSync()[0]);
});

// Two worker threads with a replica each (the worker script ships in dist/): same embeddings and, with the
// same random state, the same gradients (by parameter path) as micro-batches on this thread.
const pool = await ReplicaPool.create({ workers: 2, backend: 'cpu', replica: { module: VATT_PRETRAIN_REPLICA, args: { config } }, weights: model });
const emb = await pool.forward(
  { videoPatches: batch.videoPatches, audioPatches: batch.audioPatches, textIds: batch.textIds },
  { batchSize: 4, context: { videoGrid: batch.videoGrid } },
);
const here = model.embedVideo(batch.videoPatches, batch.videoGrid).va;
const replicaMaxDiff = tf.max(tf.abs(tf.sub(here, emb.videoVa))).dataSync()[0];
model.train();
random.setSeed(7);
const local = await pretrainGradients(model, batch, { microBatch: 2 });
random.setSeed(7);
const pooled = await pretrainGradients(model, batch, { pool });
const gradientMaxDiff = Math.max(...Object.keys(local.grads).map((p) => tf.tidy(() => tf.max(tf.abs(tf.sub(local.grads[p], pooled.grads[p]))).dataSync()[0])));
tf.dispose([
  local.value,
  pooled.value,
  ...Object.values(local.grads),
  ...Object.values(pooled.grads),
  ...Object.values(local.metrics),
  ...Object.values(pooled.metrics),
]);
await pool.close();
model.eval();

// A run directory: two steps of the tiny experiment, then its checkpoint in Node and through a tf.io handler.
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vatt-consumer-run-'));
const run = await pretrain({ config: applyOverrides(experiment, ['training.steps=2', 'training.batchSize=4']), outDir });
run.model.dispose();
const loaded = await loadVatt(run.lastCheckpoint);
// The browser entry loads the same checkpoint through any tf.io handler (a page: tf.io.browserHTTPRequest).
const viaHandler = await loadVattFrom(tf.io.fromMemory(await loadArtifacts(run.lastCheckpoint)), run.lastCheckpoint);
const checkpointMatches = loaded.model.countParams() === viaHandler.model.countParams() && viaHandler.training.step === 2;
loaded.model.dispose();
viaHandler.model.dispose();
fs.rmSync(outDir, { recursive: true, force: true });

// An Rng restored from a state saved mid-stream (after a draw) continues with the original's next draw.
const rng = new Rng(42);
rng.nextUint32();
const rngState = rng.state;
const rngResumes = Rng.fromState(rngState).nextUint32() === rng.nextUint32();

console.log(
  JSON.stringify({
    module: 'esm',
    backend: backend.name,
    textEmbedding: [text.vt.rows, text.vt.cols],
    loss: step.loss,
    lossVa: step.metrics.lossVa,
    lossDiff,
    changed: name,
    moved: before.some((v, i) => v !== after[i]),
    replicaMaxDiff,
    gradientMaxDiff,
    runSteps: run.history.length,
    checkpointMatches,
    transformerSizes: Object.keys(TRANSFORMER_SIZES),
    rngResumes,
    embeddedVocab: EMBEDDED_VOCAB.length,
    tensors: tf.memory().numTensors,
  }),
);
