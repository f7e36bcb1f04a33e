#!/usr/bin/env node
// TensorFlow checkpoint (tensor bundle) read/write throughput on a ~1 GB float32 checkpoint shaped like
// VATT's: 3 towers x 12 Transformer layers of 768-wide attention (q/k/v/o kernels 768x768, biases),
// layer norms (768) and MLPs (768x3072, 3072x768): 576 tensors + the object graph.
//
//   node packages/vatt/bench/tf-checkpoint.mjs [--gb 1] [--dir /tmp] [--keep] [--src]
//
// Uses ../dist/index.js when it loads and exports openTfCheckpoint (after `npx nx run vatt:build`),
// else (or with --src) bundles the sources (src/checkpoint/tf) with esbuild into a temporary file.
// Prints one JSON line.
//
// Phases: write (streamed from a generator, fsync included); raw read of the data file in 8 MiB
// positioned reads (the disk's speed, no decoding); cold read (the file's pages dropped from the page
// cache first, with `dd iflag=nocache`, when available): open the index, read every tensor with its
// CRC32C verified, convert to Float32Array, and keep them all (so peak RSS shows holding the whole
// checkpoint); then a warm read (page cache hot, tensors dropped as read): the CPU-bound ceiling.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropCache, loadBenchApi } from './common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const targetGB = Number(opt('gb', '1'));
const baseDir = opt('dir', os.tmpdir());
const keep = args.includes('--keep');

const loadApi = () =>
  loadBenchApi({
    args,
    needs: ['openTfCheckpoint'],
    name: 'tf-checkpoint',
    build: {
      entryPoints: [path.join(here, '../src/checkpoint/tf/index.ts')],
      plugins: [
        {
          name: 'vatt-data-crc',
          setup(b) {
            // Only the CRC32C helpers of @vatt/data are used: bundle that file, not the whole package.
            b.onResolve({ filter: /^@vatt\/data$/ }, () => ({ path: path.resolve(here, '../../data/src/formats/crc32c.ts') }));
          },
        },
      ],
    },
  });

/** The tensors of the synthetic checkpoint: [object path, shape]. */
function layout() {
  const d = 768;
  const ff = 3072;
  const layers = Math.max(1, Math.round(12 * targetGB));
  const out = [];
  for (const tower of ['video', 'audio', 'text']) {
    for (let l = 0; l < layers; l++) {
      const p = `vatt/${tower}/transformer/layer_${String(l).padStart(2, '0')}`;
      for (const n of ['query', 'key', 'value', 'output']) {
        out.push([`${p}/mha/${n}/kernel`, [d, d]]);
        out.push([`${p}/mha/${n}/bias`, [d]]);
      }
      for (const n of ['layer_norm_1', 'layer_norm_2']) {
        out.push([`${p}/${n}/gamma`, [d]]);
        out.push([`${p}/${n}/beta`, [d]]);
      }
      out.push([`${p}/mlp/dense_1/kernel`, [d, ff]]);
      out.push([`${p}/mlp/dense_1/bias`, [ff]]);
      out.push([`${p}/mlp/dense_2/kernel`, [ff, d]]);
      out.push([`${p}/mlp/dense_2/bias`, [d]]);
    }
  }
  return out;
}

const MB = 1e6;
const { api, from, buildDir } = await loadApi();
const { writeTfCheckpoint, openTfCheckpoint, buildObjectGraph, toFloat32 } = api;
const dir = await fs.mkdtemp(path.join(baseDir, 'vatt-tf-bench-'));
const prefix = path.join(dir, 'ckpt-1');
try {
  const specs = layout();
  const { graph, keys } = buildObjectGraph(specs.map(([p]) => p));
  // One pool of pseudo-random floats, sliced per tensor: generating 1 GB of fresh randoms would time the generator.
  const pool = new Float32Array(3072 * 768);
  let s = 12345;
  for (let i = 0; i < pool.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    pool[i] = (s / 2 ** 32 - 0.5) * 0.04;
  }
  function* tensors() {
    for (const [p, shape] of specs) {
      const n = shape.reduce((a, b) => a * b, 1);
      yield [keys.get(p), { dtype: 'float32', shape, data: pool.subarray(0, n) }];
    }
  }

  let t0 = performance.now();
  const res = await writeTfCheckpoint(prefix, tensors(), { objectGraph: graph });
  const writeS = (performance.now() - t0) / 1000;
  const bytes = res.dataBytes + res.indexBytes;
  const dataFile = res.dataFile;

  // The disk alone: 8 MiB positioned reads of the whole data file, cold.
  const cold = dropCache(dataFile) && dropCache(res.indexFile);
  t0 = performance.now();
  {
    const fh = await fs.open(dataFile, 'r');
    const buf = Buffer.allocUnsafeSlow(8 << 20);
    for (let pos = 0; ;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (!bytesRead) break;
      pos += bytesRead;
    }
    await fh.close();
  }
  const rawS = (performance.now() - t0) / 1000;

  // Cold read, keeping every tensor.
  dropCache(dataFile);
  dropCache(res.indexFile);
  t0 = performance.now();
  const kept = [];
  let elements = 0;
  {
    const r = await openTfCheckpoint(prefix);
    for await (const { tensor } of r) {
      if (tensor.dtype === 'string') continue;
      const f = toFloat32(tensor);
      elements += f.length;
      kept.push(f);
    }
    await r.close();
  }
  const readS = (performance.now() - t0) / 1000;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  kept.length = 0;

  // Warm read, dropping each tensor.
  t0 = performance.now();
  {
    const r = await openTfCheckpoint(prefix);
    for await (const { tensor } of r) if (tensor.dtype !== 'string') toFloat32(tensor);
    await r.close();
  }
  const warmS = (performance.now() - t0) / 1000;

  const result = {
    bench: 'tf-checkpoint',
    api: from,
    node: process.version,
    cpus: os.cpus().length,
    tensors: res.tensors,
    checkpointBytes: bytes,
    dataBytes: res.dataBytes,
    indexBytes: res.indexBytes,
    float32Elements: elements,
    write: { seconds: +writeS.toFixed(3), MBps: +(bytes / MB / writeS).toFixed(1) },
    rawDiskRead: { cold, seconds: +rawS.toFixed(3), MBps: +(res.dataBytes / MB / rawS).toFixed(1) },
    read: {
      cold,
      seconds: +readS.toFixed(3),
      secondsPerGB: +(readS / (bytes / 1e9)).toFixed(3),
      MBps: +(bytes / MB / readS).toFixed(1),
      ofRawDiskSpeed: +(rawS / readS).toFixed(2),
    },
    readWarm: { seconds: +warmS.toFixed(3), secondsPerGB: +(warmS / (bytes / 1e9)).toFixed(3), MBps: +(bytes / MB / warmS).toFixed(1) },
    peakRssBytes: peakRss,
    peakRssOverCheckpoint: +(peakRss / bytes).toFixed(2),
  };
  console.log(JSON.stringify(result));
} finally {
  if (!keep) await fs.rm(dir, { recursive: true, force: true });
  if (buildDir) await fs.rm(buildDir, { recursive: true, force: true });
}
