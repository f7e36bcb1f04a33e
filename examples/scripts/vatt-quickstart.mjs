// The vatt README example: build the tiny VATT, train it briefly on the embedded dataset, embed, retrieve.
//   node examples/scripts/vatt-quickstart.mjs      (after npm run build)
import * as tf from '@tensorflow/tfjs-core';
import {
  VATT,
  VattPreprocessor,
  Trainer,
  applyOverrides,
  batchIndices,
  embeddedSplits,
  encodeText,
  encodeVideo,
  getExperiment,
  makePretrainBatch,
  resolveModel,
  scheduleOf,
  setupBackend,
  similarity,
} from 'vatt';

await setupBackend('wasm');
// The tiny preset's experiment config (model, preprocessing, schedule, training), shortened to 100 steps.
const exp = applyOverrides(getExperiment('tiny'), ['training.steps=100', 'schedule.warmupSteps=10']);
const { steps, batchSize, seed } = exp.training;
const { train, heldout, vocab } = embeddedSplits(exp.preprocessing, seed);
const model = new VATT(resolveModel(exp)); // the input geometry (frames, patches, caption length) comes from exp.preprocessing
const pre = new VattPreprocessor(exp.preprocessing, vocab);
console.log(`${exp.model.variant} VATT, ${(model.countParams() / 1e3).toFixed(0)} k parameters; ${train.size} training clips`);

// Contrastive pretraining: NCE(video, audio) + MIL-NCE(video, 5 captions), 100 Adam steps of 32 clips.
const trainer = new Trainer({ model, schedule: scheduleOf(exp) }); // warmup to 2e-3, then half-cosine to 1e-3
model.train();
for (let step = 0; step < steps; step++) {
  const { indices } = batchIndices(train.size, batchSize, seed, step); // a seeded shuffle per epoch
  const batch = makePretrainBatch(pre, train, indices);
  const r = await trainer.trainStep(() => {
    const { total, lossVa, lossVt } = model.pretrainLoss(batch);
    return { loss: total, metrics: { lossVa, lossVt } };
  });
  tf.dispose([batch.videoPatches, batch.audioPatches, batch.textIds]);
  if (step % 25 === 0 || step === steps - 1) console.log(`step ${r.step}: loss ${r.loss.toFixed(3)} (video-audio ${r.metrics.lossVa.toFixed(3)})`);
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
