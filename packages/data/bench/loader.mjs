// Loader throughput: clips/s decoded (ffmpeg) + augmented (crop, flip, colour jitter, audio noise)
// through BatchLoader's worker threads, at VATT's pre-training size (32x224x224, 3.2 s of 48 kHz
// audio) and at a tiny size (8x32x32).
//
//   npm run build -w packages/data && node packages/data/bench/loader.mjs [--clips 24] [--workers N] [--json out.json]
//
// Sources: a generated 10 s 640x360 H.264 + AAC clip (ffmpeg lavfi testsrc + sine) and
// python3-imageio's cockatoo.mp4 (14 s, 1280x720 H.264 + MP3) when installed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchLoader } from '../dist/index.js';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const clips = Number(flag('clips', 24));
const workers = Number(flag('workers', Math.max(1, Math.min(4, availableParallelism() - 1))));
const jsonOut = flag('json', undefined);

const dir = mkdtempSync(join(tmpdir(), 'vatt-bench-'));
const generated = join(dir, 'testsrc_640x360.mp4');
execFileSync('ffmpeg', [
  '-hide_banner',
  '-v',
  'error',
  '-y',
  '-f',
  'lavfi',
  '-i',
  'testsrc=s=640x360:r=25:d=10',
  '-f',
  'lavfi',
  '-i',
  'sine=f=440:d=10:sample_rate=48000',
  '-c:v',
  'libx264',
  '-pix_fmt',
  'yuv420p',
  '-c:a',
  'aac',
  '-shortest',
  generated,
]);
const sources = [['testsrc 640x360', generated]];
const cockatoo = '/usr/lib/python3/dist-packages/imageio/resources/images/cockatoo.mp4';
if (existsSync(cockatoo)) sources.push(['cockatoo 1280x720', cockatoo]);

const configs = [
  ['32x224x224 + 3.2 s audio', { mode: 'train', video: { numFrames: 32, fps: 10, size: 224 }, audio: { sampleRate: 48000 } }, clips],
  ['8x32x32 + 0.8 s audio', { mode: 'train', video: { numFrames: 8, fps: 10, size: 32 }, audio: { sampleRate: 48000 } }, clips * 2],
];

const rows = [];
for (const [sourceName, path] of sources) {
  for (const [configName, clip, count] of configs) {
    const samples = Array.from({ length: count }, (_, i) => ({ id: `s${i}`, video: path }));
    const loader = new BatchLoader(samples, { batchSize: 4, clip, workers, seed: 1 });
    const t0 = performance.now();
    let loaded = 0;
    for await (const batch of loader) loaded += batch.ids.length;
    const seconds = (performance.now() - t0) / 1000;
    rows.push({
      source: sourceName,
      config: configName,
      workers,
      clips: loaded,
      skipped: loader.stats.skipped.length,
      seconds: +seconds.toFixed(2),
      clipsPerSecond: +(loaded / seconds).toFixed(2),
    });
  }
}

console.log(`\n@vatt/data loader throughput (${availableParallelism()} cores, ${workers} worker(s), batch 4, train augmentation)\n`);
const header = ['source', 'config', 'clips', 'skipped', 'seconds', 'clips/s'];
const table = [header, ...rows.map((r) => [r.source, r.config, r.clips, r.skipped, r.seconds, r.clipsPerSecond].map(String))];
const widths = header.map((_, c) => Math.max(...table.map((row) => row[c].length)));
for (const [i, row] of table.entries()) {
  console.log(row.map((cell, c) => cell.padEnd(widths[c])).join('  '));
  if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
}
const result = { bench: '@vatt/data loader', cores: availableParallelism(), workers, rows };
console.log(`\n${JSON.stringify(result)}`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(result, null, 2));
