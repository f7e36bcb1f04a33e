// One benchmark workload on one backend, in its own process (so the peak RSS is this workload's).
// Prints one JSON line. Used by bench/run.mjs:
//   node bench/workload.mjs --backend wasm --workload encoder --repeats 3 [--option microBatch=2]
import * as tf from '@tensorflow/tfjs-core';
import { estimateForwardFlops, random, SMALL, TransformerEncoder, VideoTransformer, videoConfig } from '@vatt/transformer';
import { getPreset, ReplicaPool, setupBackend, VATT } from 'vatt';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const backendName = flag('backend', 'wasm');
const workloadName = flag('workload', 'encoder');
const repeats = Number(flag('repeats', 3));
const phases = flag('phases', 'forward,train').split(',');
// Gradient accumulation over chunks of this many samples (encoder workload): same update, less memory.
const microBatch = Number(flag('micro-batch', 0));
// Data parallelism: this many worker_threads, each with its own backend and a replica (encoder workload).
const replicas = Number(flag('replicas', 0));
// Activation checkpointing of the encoder layers (encoder workload): whole-batch training in less memory.
const checkpointLayers = args.includes('--checkpoint');

/** Every workload: build(), forward() -> tensor to read, loss() -> scalar for training, and its sizes. */
const WORKLOADS = {
  // The workload: a 6-layer 512-wide pre-LN encoder (Small), batch 8 x 256 tokens, no dropout.
  encoder: () => {
    const b = 8;
    const n = 256;
    const enc = new TransformerEncoder('tx', { ...SMALL, dropout: 0, attnDropout: 0, checkpointLayers });
    const x = tf.randomNormal([b, n, SMALL.dModel], 0, 1, 'float32', 1);
    const f = estimateForwardFlops(videoConfig(SMALL, undefined, { dropTokenKeepRate: null }), n - 1);
    return {
      description: `pre-LN encoder 6x512 (8 heads, MLP 2048), batch ${b} x ${n} tokens, dropout 0`,
      batch: b,
      tokensPerSample: n,
      flopsPerSample: f.total - f.tokenizer - f.projections,
      module: enc,
      forward: () => enc.apply(x),
      loss: () => tf.mean(tf.square(enc.apply(x))),
      // Loss of samples [i, i + m) scaled so the chunk losses sum to the full-batch loss.
      // The same encoder and loss in each ReplicaPool worker (bench/encoder-replica.mjs).
      replica: { module: fileURLToPath(new URL('./encoder-replica.mjs', import.meta.url)) },
      input: { x },
      chunkLoss: (i, m) => tf.mul(tf.mean(tf.square(enc.apply(tf.slice(x, [i, 0, 0], [m, n, SMALL.dModel])))), m / b),
    };
  },
  // The tiny VATT preset (three towers + FAC head), batch 8, 5 captions per clip, default dropouts.
  'vatt-tiny': () => {
    const { model: config, preprocessing: pre } = getPreset('tiny');
    const b = 8;
    const k = pre.text.numCandidates;
    const model = new VATT(config);
    const v = config.video.input;
    const grid = [...v.buckets];
    const nv = grid[0] * grid[1] * grid[2];
    const batch = {
      videoPatches: tf.randomUniform([b, nv, v.patchSize[0] * v.patchSize[1] * v.patchSize[2] * 3], -1, 1, 'float32', 1),
      videoGrid: grid,
      audioPatches: tf.randomNormal([b, config.audio.input.buckets, config.audio.input.patchSize], 0, 0.3, 'float32', 2),
      textIds: tf.randomUniform([b * k, pre.text.maxTokens], 1, config.text.input.vocabSize, 'int32', 3),
    };
    const fv = estimateForwardFlops(config.video, nv);
    const fa = estimateForwardFlops(config.audio, config.audio.input.buckets);
    const ft = estimateForwardFlops(config.text, pre.text.maxTokens);
    return {
      description: `VATT tiny (video ${nv} + audio ${config.audio.input.buckets} patches, ${k} captions x ${pre.text.maxTokens} words), batch ${b}`,
      batch: b,
      tokensPerSample: fv.encoderTokens + fa.encoderTokens + k * ft.encoderTokens,
      flopsPerSample: fv.total + fa.total + k * ft.total,
      module: model,
      forward: () => {
        const ve = model.embedVideo(batch.videoPatches, batch.videoGrid);
        const ae = model.embedAudio(batch.audioPatches);
        const te = model.embedText(batch.textIds);
        return tf.stack([tf.sum(ve.vt), tf.sum(ae.va), tf.sum(te.vt)]);
      },
      loss: () => model.pretrainLoss(batch).total,
    };
  },
  // The Small video tower (ViT 6x512) at a reduced input: 16 frames of 112x112, patch 4x16x16 -> 196 tokens.
  'video-small': () => {
    const b = 4;
    const input = { frames: 16, height: 112, width: 112, patchSize: [4, 16, 16], buckets: [4, 7, 7], channels: 3 };
    const config = videoConfig(SMALL, input);
    const video = new VideoTransformer(config, { name: 'video' });
    const n = 4 * 7 * 7;
    const patches = tf.randomUniform([b, n, 4 * 16 * 16 * 3], -1, 1, 'float32', 1);
    const f = estimateForwardFlops(config, n);
    return {
      description: `ViT-3D Small video tower (6x512) on 16x112x112 clips (${n} patches + [AGG]), batch ${b}; training with DropToken 0.5 and dropout 0.1`,
      batch: b,
      tokensPerSample: f.encoderTokens,
      flopsPerSample: f.total,
      trainFlopsPerSample: 3 * estimateForwardFlops(config, n, { dropToken: true }).total,
      module: video,
      forward: () => video.apply(patches).pooled,
      loss: () => tf.mean(tf.square(video.apply(patches).pooled)),
    };
  },
};

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mib = (bytes) => +(bytes / 2 ** 20).toFixed(1);

async function time(fn) {
  const times = [];
  await fn(); // warm-up (kernel compilation, Adam slots)
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
  }
  return times;
}

/** One Adam step with the gradients summed over micro-batches of `microBatch` samples; returns the loss. */
function accumulatedStep(w, optimizer, vars) {
  let total = tf.scalar(0);
  let sums = null;
  for (let i = 0; i < w.batch; i += microBatch) {
    const m = Math.min(microBatch, w.batch - i);
    const { value, grads } = tf.variableGrads(() => w.chunkLoss(i, m), vars);
    const next = tf.add(total, value);
    tf.dispose([total, value]);
    total = next;
    if (!sums) sums = grads;
    else {
      for (const k of Object.keys(grads)) {
        const s = tf.add(sums[k], grads[k]);
        tf.dispose([sums[k], grads[k]]);
        sums[k] = s;
      }
    }
  }
  optimizer.applyGradients(sums);
  tf.dispose(Object.values(sums));
  return total;
}

/** One Adam step with the gradients of a ReplicaPool (summed over shards), then the new weights out. */
async function poolStep(pool, w, optimizer) {
  const { loss, grads, state } = await pool.lossGradients(w.input, { microBatch: microBatch || undefined });
  const byPath = Object.fromEntries(w.module.namedTrainableParameters().map(([path, v]) => [v.name, grads[path]]));
  optimizer.applyGradients(byPath);
  tf.dispose([...Object.values(grads), ...Object.values(state)]);
  await pool.setWeights(w.module);
  return tf.scalar(loss);
}

async function main() {
  const info = await setupBackend(backendName);
  random.setSeed(0);
  const w = WORKLOADS[workloadName]();
  if (replicas > 0 && !w.replica) throw new Error(`--replicas: workload ${workloadName} has no replica module`);
  const pool = replicas > 0 ? await ReplicaPool.create({ workers: replicas, backend: backendName, replica: w.replica, weights: w.module }) : null;
  const result = {
    backend: info.name,
    backendDetail: info.detail,
    workload: workloadName,
    description: w.description,
    batch: w.batch,
    tokensPerSample: w.tokensPerSample,
    repeats,
  };
  const rate = (seconds, flopsPerSample) => ({
    medianSeconds: +median(seconds).toFixed(4),
    seconds: seconds.map((s) => +s.toFixed(4)),
    samplesPerSecond: +(w.batch / median(seconds)).toFixed(2),
    tokensPerSecond: Math.round((w.batch * w.tokensPerSample) / median(seconds)),
    gflopsPerSecond: +((w.batch * flopsPerSample) / median(seconds) / 1e9).toFixed(2),
  });
  if (phases.includes('forward')) {
    w.module.eval();
    const seconds = await time(async () => {
      if (pool) {
        const out = await pool.forward(w.input);
        tf.dispose(Object.values(out));
        return;
      }
      const y = tf.tidy(w.forward);
      await y.data();
      y.dispose();
    });
    result.forward = {
      ...rate(seconds, w.flopsPerSample),
      peakRssMiB: mib(process.resourceUsage().maxRSS * 1024),
      tensorsAlive: tf.memory().numTensors,
      tfBytesMiB: mib(tf.memory().numBytes),
    };
  }
  if (phases.includes('train')) {
    w.module.train();
    const optimizer = tf.train.adam(1e-4);
    const vars = w.module.trainableVariables();
    const step = pool
      ? () => poolStep(pool, w, optimizer)
      : microBatch > 0 && w.chunkLoss
        ? () => accumulatedStep(w, optimizer, vars)
        : () => optimizer.minimize(w.loss, true, vars);
    const seconds = await time(async () => {
      const cost = await step();
      await cost.data();
      cost.dispose();
    });
    if (microBatch > 0 && (w.chunkLoss || pool)) result.microBatch = microBatch;
    if (checkpointLayers) result.checkpointLayers = true;
    // Training FLOPs: forward + backward = 3x the forward matMul FLOPs (the usual estimate).
    result.train = {
      ...rate(seconds, w.trainFlopsPerSample ?? 3 * w.flopsPerSample),
      flopsConvention: '3x forward',
      peakRssMiB: mib(process.resourceUsage().maxRSS * 1024),
      tensorsAlive: tf.memory().numTensors,
      tfBytesMiB: mib(tf.memory().numBytes),
    };
  }
  if (pool) {
    result.replicas = pool.size;
    await pool.close();
  }
  console.log(JSON.stringify(result));
}

main().then(
  () => process.exit(0), // Dawn keeps the event loop alive
  (e) => {
    console.error(e?.stack ?? String(e));
    process.exit(1);
  },
);
