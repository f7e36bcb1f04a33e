// The vatt README example: build the tiny VATT, train it briefly on the embedded dataset, embed, retrieve.
//   node examples/scripts/vatt-quickstart.mjs      (after npm run build)
import * as tf from '@tensorflow/tfjs-core';
import {
  VATT,
  VattPreprocessor,
  Trainer,
  batchIndices,
  embeddedSplits,
  encodeText,
  encodeVideo,
  getPreset,
  makePretrainBatch,
  setupBackend,
  similarity,
} from 'vatt';

await setupBackend('wasm');
const { model: config, preprocessing } = getPreset('tiny');
const { train, heldout, vocab } = embeddedSplits(preprocessing, 0);
const model = new VATT(config);
const pre = new VattPreprocessor(preprocessing, vocab);
console.log(`${config.variant} VATT, ${(model.countParams() / 1e3).toFixed(0)} k parameters; ${train.size} training clips`);

// Contrastive pretraining: NCE(video, audio) + MIL-NCE(video, 5 captions), 100 Adam steps of 32 clips.
const trainer = new Trainer({ model, schedule: { kind: 'code', baseLr: 2e-3, endLr: 1e-3, warmupSteps: 10, totalSteps: 100 } });
model.train();
for (let step = 0; step < 100; step++) {
  const { indices } = batchIndices(train.size, 32, 0, step); // a seeded shuffle per epoch
  const batch = makePretrainBatch(pre, train, indices);
  const r = await trainer.trainStep(() => {
    const l = model.pretrainLoss(batch);
    return { loss: l.total, metrics: { loss_va: l.videoAudio, loss_vt: l.videoText } };
  });
  tf.dispose([batch.videoPatches, batch.audioPatches, batch.textIds]);
  if (step % 25 === 0 || step === 99) console.log(`step ${r.step}: loss ${r.loss.toFixed(3)}`);
}

// Text-to-video retrieval among the 96 held-out clips.
const videos = await encodeVideo(
  model,
  pre,
  heldout.map((c) => c.video),
);
const query = await encodeText(model, pre, ['a blue circle moving up']);
const scores = similarity(query.vt, videos.vt);
const best = Array.from(scores, (s, i) => [s, i])
  .sort((a, b) => b[0] - a[0])
  .slice(0, 3);
console.log('"a blue circle moving up" ->', best.map(([s, i]) => `${heldout[i].label} (${s.toFixed(2)})`).join(', '));
model.dispose();
trainer.dispose();
