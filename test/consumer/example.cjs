// The consumer example in CommonJS (require), the twin of example.mjs.
const tf = require('@tensorflow/tfjs-core');
const { EMBEDDED_VOCAB } = require('@vatt/data/embedded');
const {
  ReplicaPool,
  VATT,
  VATT_PRETRAIN_REPLICA,
  VattPreprocessor,
  Trainer,
  embeddedSplits,
  encodeText,
  getPreset,
  makePretrainBatch,
  setupBackend,
} = require('vatt');

async function main() {
  const backend = await setupBackend('cpu');
  const { model: config, preprocessing } = getPreset('tiny');
  const data = embeddedSplits(preprocessing, 0, { trainVariants: 1 });
  const pre = new VattPreprocessor(preprocessing, data.vocab);
  const model = new VATT(config);

  const text = await encodeText(model, pre, ['a red circle moves left']);
  const trainer = new Trainer({ model, schedule: { kind: 'constant', baseLr: 1e-3, endLr: 1e-3, warmupSteps: 0, totalSteps: 1 } });
  const [name, weight] = model.namedTrainableParameters()[0];
  const before = weight.dataSync().slice();
  const batch = makePretrainBatch(pre, data.train, [0, 1, 2, 3]);
  const step = await trainer.trainStep(() => {
    const l = model.pretrainLoss(batch);
    return { loss: l.total, metrics: { loss_va: l.videoAudio, loss_vt: l.videoText } };
  });
  const after = weight.dataSync();
  // Two worker threads with a replica each (the worker script ships in dist/): same embeddings as here.
  const pool = await ReplicaPool.create({ workers: 2, backend: 'cpu', replica: { module: VATT_PRETRAIN_REPLICA, args: { config } }, weights: model });
  model.eval();
  const emb = await pool.forward(
    { videoPatches: batch.videoPatches, audioPatches: batch.audioPatches, textIds: batch.textIds },
    { batchSize: 4, context: { videoGrid: batch.videoGrid } },
  );
  const here = model.embedVideo(batch.videoPatches, batch.videoGrid).va;
  const replicaMaxDiff = tf.max(tf.abs(tf.sub(here, emb.videoVa))).dataSync()[0];
  await pool.close();
  console.log(
    JSON.stringify({
      module: 'cjs',
      backend: backend.name,
      textEmbedding: [text.vt.rows, text.vt.cols],
      loss: step.loss,
      changed: name,
      moved: before.some((v, i) => v !== after[i]),
      replicaMaxDiff,
      embeddedVocab: EMBEDDED_VOCAB.length,
      tensors: tf.memory().numTensors,
    }),
  );
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
