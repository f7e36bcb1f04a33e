// Prepared shards vs decoding media files: prepare throughput (clips/s, MB/s) and shard sizes for raw and JPEG
// frames, then loader throughput (clips/s, decode + the training augmentation: crop, flip, colour jitter, audio
// noise) from shards and from the media files (ffmpeg per clip), at three model sizes:
//   tiny   8 x 32 x 32,   audio 4096 samples at 5120 Hz (the tiny preset)
//   small  8 x 64 x 64,   audio 7936 samples (62 patches of 128) at 9920 Hz
//   large  32 x 224 x 224, audio 153600 samples at 48 kHz (VATT pre-training)
// Media: `--clips` (144) clips of 2 s, 112x112 H.264 + AAC, cut from lavfi testsrc2 + sine in one ffmpeg run.
//
//   npm run build -w packages/data && node packages/data/bench/shards.mjs [--clips 144] [--workers N] [--json out.json] [--only tiny,small]
//
// Prints a table and, last, one JSON line with every number.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { CLIP_SOURCE, makeClips } from '../../../testing/media-clips.mjs';
import { BatchLoader, prepareShards, ShardSource } from '../dist/index.js';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const clips = Number(flag('clips', 144));
const cores = availableParallelism();
const loaderWorkers = Number(flag('workers', Math.max(1, Math.min(4, cores - 1))));
const only = flag('only', 'tiny,small,large').split(',');
const jsonOut = flag('json', undefined);
const batchSize = 32;

const dir = mkdtempSync(join(tmpdir(), 'vatt-shards-bench-'));
const t0 = performance.now();
const files = makeClips(join(dir, 'media'), clips);
const samples = files.map((f, i) => ({ id: basename(f), video: f, captions: [`clip ${i}`], label: i % 4 }));
console.error(`${files.length} clips generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const configs = {
  tiny: { size: 32, clip: { mode: 'train', video: { numFrames: 8, fps: 10, size: 32 }, audio: { sampleRate: 5120, numSamples: 4096 } }, shardClips: 4096 },
  small: { size: 64, clip: { mode: 'train', video: { numFrames: 8, fps: 10, size: 64 }, audio: { sampleRate: 9920, numSamples: 7936 } }, shardClips: 4096 },
  large: {
    size: 224,
    clip: { mode: 'train', video: { numFrames: 32, fps: 10, size: 224 }, audio: { sampleRate: 48000, numSamples: 153600 } },
    shardClips: 384,
  },
};

/** Clips/s of a loader over `clipsWanted` clips; the first batch (worker start-up) is timed apart. */
async function loaderRate(source, clip, clipsWanted, extra = {}) {
  const perEpoch = source instanceof ShardSource ? (source.sampleCount ?? clips) : source.length;
  const epochs = Math.max(1, Math.ceil(clipsWanted / perEpoch));
  const loader = new BatchLoader(source, { batchSize, clip, seed: 1, epochs, workers: loaderWorkers, dropLast: true, reuseBatchArrays: true, ...extra });
  const start = performance.now();
  let first;
  let cpuFirst;
  let loaded = 0;
  for await (const batch of loader) {
    loaded += batch.ids.length;
    if (!first) {
      first = performance.now();
      cpuFirst = process.cpuUsage();
    }
    if (loaded >= clipsWanted) break;
  }
  const end = performance.now();
  // CPU of every thread of this process (not of ffmpeg children) after the first batch: a measure that holds on a busy machine.
  const cpu = process.cpuUsage(cpuFirst);
  return {
    workers: extra.workers ?? loaderWorkers,
    clips: loaded,
    seconds: +((end - start) / 1000).toFixed(2),
    clipsPerSecond: +(loaded / ((end - start) / 1000)).toFixed(1),
    steadyClipsPerSecond: loaded > batchSize ? +((loaded - batchSize) / ((end - first) / 1000)).toFixed(1) : null,
    cpuMsPerClip: +((cpu.user + cpu.system) / 1000 / Math.max(1, loaded - batchSize)).toFixed(3),
    firstBatchMs: Math.round(first - start),
    skipped: loader.stats.skipped.length,
  };
}

const results = {
  bench: '@vatt/data shards',
  cores,
  loaderWorkers,
  batchSize,
  clips: files.length,
  clipSeconds: 2,
  source: CLIP_SOURCE,
  rows: [],
};
for (const name of only) {
  const cfg = configs[name];
  const row = {
    config: name,
    frames: `${cfg.clip.video.numFrames}x${cfg.size}x${cfg.size}`,
    audio: `${cfg.clip.audio.numSamples} @ ${cfg.clip.audio.sampleRate} Hz`,
  };
  for (const frames of ['raw', 'jpeg']) {
    const out = join(dir, `${name}-${frames}`);
    const p0 = performance.now();
    const index = await prepareShards(samples, { out, size: cfg.size, frames, fps: 10, sampleRate: cfg.clip.audio.sampleRate });
    const secs = (performance.now() - p0) / 1000;
    const bytes = index.totals.bytes;
    row[`prepare_${frames}`] = {
      seconds: +secs.toFixed(2),
      clipsPerSecond: +(index.totals.samples / secs).toFixed(1),
      MBPerSecond: +(bytes / 1e6 / secs).toFixed(1),
      shardBytes: bytes,
      bytesPerClip: Math.round(bytes / index.totals.samples),
      framesBytesPerClipApprox: Math.round(bytes / index.totals.samples - (2 * cfg.clip.audio.sampleRate * 4 + 3 * 512 + 400)),
      shards: index.shards.length,
      skipped: index.skipped.length,
    };
    row[`load_${frames}`] = await loaderRate(await ShardSource.open(out), cfg.clip, cfg.shardClips);
    console.error(name, frames, JSON.stringify(row[`prepare_${frames}`]), JSON.stringify(row[`load_${frames}`]));
    if (cores > 1) {
      row[`load_${frames}_${cores}workers`] = await loaderRate(await ShardSource.open(out), cfg.clip, cfg.shardClips, { workers: cores });
      console.error(name, frames, `${cores} workers`, JSON.stringify(row[`load_${frames}_${cores}workers`]));
    }
  }
  const direct = name === 'large' ? samples.slice(0, 48) : samples;
  row.load_direct = await loaderRate(direct, cfg.clip, direct.length - (direct.length % batchSize));
  console.error(name, 'direct', JSON.stringify(row.load_direct));
  if (name !== 'large') {
    row.load_direct_cached = await loaderRate(samples.slice(0, 64), cfg.clip, 64 * 4, { cacheBytes: 2 ** 30 });
    console.error(name, 'direct+cache', JSON.stringify(row.load_direct_cached));
  }
  results.rows.push(row);
}

console.log(`\n@vatt/data shards bench (${cores} cores, loader workers ${loaderWorkers}, batch ${batchSize})\n`);
const best = (r, frames) => Math.max(r[`load_${frames}`].steadyClipsPerSecond, r[`load_${frames}_${cores}workers`]?.steadyClipsPerSecond ?? 0);
const header = [
  'config',
  'prepare raw c/s',
  'prepare jpeg c/s',
  'raw KB/clip',
  'jpeg KB/clip',
  'shards raw c/s',
  'shards jpeg c/s',
  'direct c/s',
  'direct+cache c/s',
];
const table = [
  header,
  ...results.rows.map((r) =>
    [
      `${r.config} ${r.frames}`,
      r.prepare_raw.clipsPerSecond,
      r.prepare_jpeg.clipsPerSecond,
      (r.prepare_raw.bytesPerClip / 1024).toFixed(0),
      (r.prepare_jpeg.bytesPerClip / 1024).toFixed(0),
      best(r, 'raw'),
      best(r, 'jpeg'),
      r.load_direct.clipsPerSecond,
      r.load_direct_cached?.clipsPerSecond ?? '-',
    ].map(String),
  ),
];
const widths = header.map((_, c) => Math.max(...table.map((row) => row[c].length)));
for (const [i, row] of table.entries()) {
  console.log(row.map((cell, c) => cell.padEnd(widths[c])).join('  '));
  if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
}
results.loadAverageAtEnd = loadavg()[0];
const json = JSON.stringify(results);
console.log(`\n${json}`);
if (jsonOut) writeFileSync(jsonOut, json);
rmSync(dir, { recursive: true, force: true });
