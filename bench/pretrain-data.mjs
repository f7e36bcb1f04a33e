// Pretraining from real media, end to end: the same steps fed from in-memory arrays (the clips decoded once,
// no loader), from shards `vatt prepare` wrote (the loader, training augmentation in worker threads) and from
// the media files (ffmpeg per clip), at two model sizes on wasm:
//   tiny   the tiny preset: 2+2+2 layers d 64, 8 x 32 x 32 frames, 32 audio patches (4096 samples at 5120 Hz)
//   small  4+4+2 layers d 64, 8 x 64 x 64 frames, 62 audio patches (7936 samples at 9920 Hz)
// batch 32, `--clips` (144) real clips of 2 s (testing/media-clips.mjs). For each: the steady step time (after
// `--warmup` steps) of each feed, the shards/in-memory wall-time ratio (goal <= 1.25), the clips/s a step
// consumes, and the loader alone from the same shards (clips/s, goal >= 20x what a step consumes).
//
//   npm run build && node bench/pretrain-data.mjs [--clips 144] [--steps 12] [--warmup 2] [--only tiny,small] [--json out.json]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, join } from 'node:path';
import { BatchLoader, prepareShards, ShardSource } from '@vatt/data';
import { applyOverrides, clipConfigFor, evaluationClips, getExperiment, pretrain, setupBackend } from 'vatt';
import { CLIP_SOURCE, makeClips } from '../testing/media-clips.mjs';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const numClips = Number(flag('clips', 144));
const steps = Number(flag('steps', 12));
const warmup = Number(flag('warmup', 2));
const directSteps = Number(flag('direct-steps', 4));
const only = flag('only', 'tiny,small').split(',');
const jsonOut = flag('json', undefined);
const batch = 32;

const backend = await setupBackend('wasm');
const dir = mkdtempSync(join(os.tmpdir(), 'vatt-pretrain-data-'));
const files = makeClips(join(dir, 'media'), numClips);
const words = ['dog', 'cat', 'car', 'boat', 'tree', 'rain', 'bird', 'drum', 'bell', 'wave'];
const samples = files.map((f, i) => ({ id: basename(f), video: f, captions: [`a ${words[i % 10]} and a ${words[(i * 7 + 3) % 10]} beep`] }));

const MODELS = {
  tiny: [],
  small: [
    'model.video.numLayers=4',
    'model.audio.numLayers=4',
    'model.text.numLayers=2',
    'preprocessing.video.height=64',
    'preprocessing.video.width=64',
    'preprocessing.audio.samples=7936',
    'preprocessing.audio.sampleRate=9920',
  ],
};

/** Steady seconds per step (median after warm-up) and the wall time of all steps, from the step records. */
function timing(history) {
  const secs = history.map((r) => 1 / r.stepsPerSec);
  const steady = secs.slice(warmup).sort((a, b) => a - b);
  return {
    steps: history.length,
    medianStepSeconds: +steady[steady.length >> 1].toFixed(4),
    steadySeconds: +secs
      .slice(warmup)
      .reduce((a, b) => a + b, 0)
      .toFixed(3),
    allStepsSeconds: +secs.reduce((a, b) => a + b, 0).toFixed(3),
  };
}

async function train(config, data, label, n = steps) {
  const out = join(dir, `run-${label}`);
  const t0 = performance.now();
  const r = await pretrain({ config: applyOverrides(config, [`training.steps=${n}`]), data, vocab: data.vocab, outDir: out });
  const wall = (performance.now() - t0) / 1000;
  r.model.dispose();
  rmSync(out, { recursive: true, force: true });
  const t = { ...timing(r.history), wallSeconds: +wall.toFixed(2) };
  console.error(`  ${label}: ${JSON.stringify(t)}`);
  return t;
}

/**
 * The loader alone over `source` as the trainer runs it (training augmentation, batch arrays reused): clips/s
 * after its first batch, over `clips` clips, the median of `runs` loaders (one run of a few hundred clips
 * varies by +-15 % on a shared 2-core machine).
 */
async function loaderRate(source, pre, clips, runs = 3) {
  const rates = [];
  for (let r = 0; r < runs; r++) {
    const loader = new BatchLoader(source, { batchSize: batch, clip: clipConfigFor(pre, 'train'), seed: 1 + r, epochs: Infinity, reuseBatchArrays: true });
    let first;
    let loaded = 0;
    for await (const b of loader) {
      if (first === undefined) first = performance.now();
      else loaded += b.ids.length;
      if (loaded >= clips) break;
    }
    rates.push(loaded / ((performance.now() - first) / 1000));
  }
  return +rates.sort((a, b) => a - b)[runs >> 1].toFixed(1);
}

const rows = [];
try {
  for (const name of only) {
    const config = applyOverrides(getExperiment('tiny'), [...MODELS[name], `training.batchSize=${batch}`, 'training.checkpointEvery=1000']);
    const pre = config.preprocessing;
    console.error(`${name}: ${pre.video.frames}x${pre.video.height}x${pre.video.width}, ${pre.audio.samples / pre.audio.patchSize} audio patches`);
    // In memory: the clips decoded once (centred, at the model size), batches straight from arrays.
    const decoded = await evaluationClips(samples, pre);
    const vocab = (await import('@vatt/tokenizers')).buildVocabulary(samples.flatMap((s) => s.captions)).words;
    const memory = { size: decoded.clips.length, clip: (i) => decoded.clips[i], vocab };
    const inMemory = await train(config, memory, `${name}-memory`);
    // Shards: prepare once (timed), then train from them.
    const shardDir = join(dir, `shards-${name}`);
    const p0 = performance.now();
    const index = await prepareShards(samples, { out: shardDir, size: pre.video.height, fps: pre.video.fps, sampleRate: pre.audio.sampleRate });
    const prepareSeconds = (performance.now() - p0) / 1000;
    const shards = await ShardSource.open(shardDir);
    const fromShards = await train(config, { shards, vocab }, `${name}-shards`);
    const loaderClipsPerSecond = await loaderRate(shards, pre, 32 * batch);
    const direct = await train(config, { samples, vocab }, `${name}-ffmpeg`, directSteps);
    const consumed = batch / inMemory.medianStepSeconds;
    rows.push({
      model: name,
      frames: `${pre.video.frames}x${pre.video.height}x${pre.video.width}`,
      audioPatches: pre.audio.samples / pre.audio.patchSize,
      inMemory,
      fromShards,
      direct,
      shardsToMemory: +(fromShards.steadySeconds / inMemory.steadySeconds).toFixed(3),
      directToMemory: +(direct.medianStepSeconds / inMemory.medianStepSeconds).toFixed(2),
      stepConsumesClipsPerSecond: +consumed.toFixed(1),
      loaderClipsPerSecond,
      loaderToStep: +(loaderClipsPerSecond / consumed).toFixed(1),
      prepare: {
        frames: index.frames,
        shortSide: index.settings.shortSide,
        seconds: +prepareSeconds.toFixed(2),
        clipsPerSecond: +(index.totals.samples / prepareSeconds).toFixed(1),
        MBPerSecond: +(index.totals.bytes / 1e6 / prepareSeconds).toFixed(2),
        MB: +(index.totals.bytes / 1e6).toFixed(1),
        shards: index.shards.length,
      },
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const result = {
  bench: 'pretraining from real media',
  machine: { cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), node: process.version, load: os.loadavg().map((x) => +x.toFixed(2)) },
  backend: `${backend.name} (${backend.detail})`,
  clips: numClips,
  source: CLIP_SOURCE,
  batch,
  steps,
  warmup,
  rows,
};
console.log(`\npretraining from real media: ${result.machine.cpu}, ${result.machine.cores} cores, ${result.backend}, batch ${batch}, ${numClips} clips`);
console.log('model  frames     s/step memory  s/step shards  shards/memory  s/step ffmpeg  step clips/s  loader clips/s  loader/step  prepare clips/s, MB');
for (const r of rows) {
  console.log(
    [
      r.model.padEnd(5),
      r.frames.padEnd(9),
      String(r.inMemory.medianStepSeconds).padEnd(13),
      String(r.fromShards.medianStepSeconds).padEnd(13),
      `${r.shardsToMemory}x`.padEnd(13),
      String(r.direct.medianStepSeconds).padEnd(13),
      String(r.stepConsumesClipsPerSecond).padEnd(12),
      String(r.loaderClipsPerSecond).padEnd(14),
      `${r.loaderToStep}x`.padEnd(11),
      `${r.prepare.clipsPerSecond}, ${r.prepare.MB} MB (${r.prepare.frames})`,
    ].join('  '),
  );
}
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result));
