// The consumer example, as an application that installed the packed tarballs would write it (ESM).
// The CommonJS twin is example.cjs; both print one JSON line that run.mjs checks.
import * as tf from '@tensorflow/tfjs-core';
import { VATT, VattPreprocessor, Trainer, embeddedSplits, encodeText, getPreset, makePretrainBatch, setupBackend } from 'vatt';

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
console.log(JSON.stringify({ module: 'esm', backend: backend.name, textEmbedding: [text.vt.rows, text.vt.cols], loss: step.loss, changed: name, moved: before.some((v, i) => v !== after[i]), tensors: tf.memory().numTensors }));
