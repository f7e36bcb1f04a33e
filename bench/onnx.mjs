// The ONNX engine against PyTorch and tfjs-wasm, in one run on one machine (forward passes, eval mode):
//
//   encoder     the 6x512 pre-LN encoder of bench/workload.mjs at batch 8 x 256 tokens
//   bbs-video   the BBS video tower (ViT-Base) with its FAC head projections, batch 2 x 32x224x224 clips
//   tiny-embed  embedding throughput of the tiny model over the embedded dataset's 96 held-out clips
//               (video + audio + captions, through the Embedder API: JS preprocessing included)
//
// Engines: onnxruntime-node (intra-op threads = cores), PyTorch (intra-op threads = cores, bench/torch_onnx_workloads.py),
// tfjs-wasm (one thread: tfjs runs wasm single-threaded in Node). Each (workload, engine) runs in its own
// process, rounds interleave the engines so that load from other work on the machine hits them alike, and
// times are medians (and minima) over every repeat of every round. Prints JSON lines: one per measurement,
// then one summary line per workload with the ratios of both.
//
//   npm run build && node bench/onnx.mjs [--quick] [--rounds 2] [--repeats 3] [--workloads encoder,bbs-video,tiny-embed]
//                                        [--no-torch] [--checkpoint <dir>] [--json out.json]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonLines } from './json-lines.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const has = (name) => args.includes(`--${name}`);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x, d = 4) => +x.toFixed(d);
const threads = os.availableParallelism();

/** Forward FLOPs (every matMul at 2·m·k·n) of a pre-LN stack: per layer 4 d² + 2 d·ff per token, plus 2 N² d for QKᵀ and PV. */
function stackFlops(n, d, ff, layers) {
  return layers * (2 * n * (4 * d * d + 2 * d * ff) + 2 * 2 * n * n * d);
}

// ------------------------------------------------------------------------------------------------------------
// Child processes: one engine, one workload.

async function timed(fn, repeats) {
  await fn(); // warm-up: kernel selection, allocator, session optimisation
  const seconds = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    seconds.push((performance.now() - t0) / 1000);
  }
  return seconds;
}

async function ortSession(bytes) {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
  return { ort, session };
}

async function child(engine, workload, repeats) {
  const tf = await import('@tensorflow/tfjs-core');
  const { SMALL, TransformerEncoder, VideoTransformer, random, exportModuleOnnx, encodeOnnxModel } = await import('@vatt/transformer');
  const vatt = await import('vatt');
  await vatt.setupBackend(engine === 'tfjs-wasm' ? 'wasm' : 'cpu');
  random.setSeed(0);
  const result = { workload, engine, threads: engine === 'onnxruntime-node' ? threads : 1 };

  if (workload === 'encoder') {
    const [b, n, d] = [8, 256, SMALL.dModel];
    const enc = new TransformerEncoder('tx', { ...SMALL, dropout: 0, attnDropout: 0 });
    const x = Float32Array.from({ length: b * n * d }, (_, i) => Math.sin(i * 12.9898) * 0.5);
    result.flops = b * stackFlops(n, d, SMALL.dFF, SMALL.numLayers);
    if (engine === 'onnxruntime-node') {
      const bytes = await exportModuleOnnx(enc, {
        inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 'tokens', d] }],
        outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 'tokens', d] }],
      });
      enc.dispose();
      const { ort, session } = await ortSession(bytes);
      const feeds = { x: new ort.Tensor('float32', x, [b, n, d]) };
      result.seconds = await timed(() => session.run(feeds), repeats);
    } else {
      const xt = tf.tensor3d(x, [b, n, d]);
      result.seconds = await timed(async () => {
        const y = tf.tidy(() => enc.apply(xt));
        await y.data();
        y.dispose();
      }, repeats);
    }
  } else if (workload === 'bbs-video') {
    const { model: config, preprocessing: pre } = vatt.getPreset('bbs');
    const b = 2;
    const geo = vatt.videoGeometry(pre);
    const patches = Float32Array.from({ length: b * geo.tokens * geo.patchValues }, (_, i) => Math.sin(i * 78.233));
    result.flops =
      b * (2 * geo.tokens * geo.patchValues * config.video.dModel + stackFlops(geo.tokens + 1, config.video.dModel, config.video.dFF, config.video.numLayers));
    if (engine === 'onnxruntime-node') {
      const model = new vatt.VATT(config);
      const graph = vatt.buildTowerGraph(model, pre, 'video');
      model.dispose();
      const bytes = await encodeOnnxModel(graph.model);
      result.modelMiB = round(bytes.byteLength / 2 ** 20, 1);
      const { ort, session } = await ortSession(bytes);
      const feeds = { patches: new ort.Tensor('float32', patches, [b, geo.tokens, geo.patchValues]) };
      result.seconds = await timed(() => session.run(feeds), repeats);
    } else {
      // The video tower and the FAC head only (the audio and text towers would only fill the wasm heap).
      const video = new VideoTransformer(config.video, { name: 'video' });
      const dims = { videoDim: config.video.dModel, audioDim: config.audio.dModel, textDim: config.text.dModel };
      const head = new vatt.FacHead({ ...config.head, ...dims }, 'head');
      video.eval();
      head.eval();
      const x = tf.tensor3d(patches, [b, geo.tokens, geo.patchValues]);
      result.seconds = await timed(async () => {
        const y = tf.tidy(() => {
          const { pooled } = video.apply(x, { grid: geo.grid });
          const { va, vt } = head.video(pooled);
          return tf.concat([pooled, va, vt], 1);
        });
        await y.data();
        y.dispose();
      }, repeats);
    }
  } else if (workload === 'tiny-embed') {
    const checkpoint = flag('checkpoint', undefined);
    let loaded;
    if (checkpoint) loaded = await vatt.loadVatt(await vatt.resolveCheckpointDir(checkpoint));
    else {
      const { model: config, preprocessing } = vatt.getPreset('tiny');
      const model = new vatt.VATT(config);
      model.eval();
      const vocab = vatt.embeddedSplits(preprocessing, 0).vocab;
      loaded = { model, config, preprocessing, vocab, preprocessor: new vatt.VattPreprocessor(preprocessing, vocab), training: { seed: 0 } };
    }
    const clips = vatt.embeddedSplits(loaded.preprocessing, loaded.training?.seed ?? 0).heldout;
    let embedder;
    let tmp;
    if (engine === 'onnxruntime-node') {
      tmp = mkdtempSync(join(os.tmpdir(), 'vatt-bench-onnx-'));
      await vatt.exportOnnx(loaded, tmp);
      embedder = await vatt.openOnnxEmbedder(tmp);
    } else {
      embedder = new vatt.TfjsEmbedder(loaded);
    }
    const opts = { batchSize: 16 };
    const parts = { video: [], audio: [], text: [] };
    result.seconds = await timed(async () => {
      let t0 = performance.now();
      await embedder.encodeVideo(
        clips.map((c) => c.video),
        opts,
      );
      parts.video.push((performance.now() - t0) / 1000);
      t0 = performance.now();
      await embedder.encodeAudio(
        clips.map((c) => c.audio),
        opts,
      );
      parts.audio.push((performance.now() - t0) / 1000);
      t0 = performance.now();
      await embedder.encodeText(
        clips.map((c) => c.captions[0]),
        opts,
      );
      parts.text.push((performance.now() - t0) / 1000);
    }, repeats);
    result.clips = clips.length;
    result.perModalitySeconds = Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, round(median(v.slice(1)))]));
    await embedder.dispose();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  } else {
    throw new Error(`unknown workload ${workload}`);
  }
  result.peakRssMiB = round((process.resourceUsage().maxRSS * 1024) / 2 ** 20, 1);
  console.log(JSON.stringify(result));
}

// ------------------------------------------------------------------------------------------------------------
// The parent: rounds of child processes, then the summary.

function runChild(engine, workload, repeats) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', engine, '--workload', workload, '--repeats', String(repeats), ...args], {
    encoding: 'utf8',
    timeout: 30 * 60 * 1000,
    maxBuffer: 64 * 2 ** 20,
  });
  const line = jsonLines(r.stdout).pop();
  if (r.status === 0 && line) return line;
  return { workload, engine, error: (r.stderr || '').split('\n').filter(Boolean).slice(-3).join(' | ') || `exit ${r.status ?? r.signal}` };
}

function runTorch(workloads, repeats) {
  const env = { ...process.env };
  // OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE force older kernels: unset both for this command (toolchain.md).
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync(
    '/usr/bin/python3',
    [join(here, 'torch_onnx_workloads.py'), '--workloads', workloads.join(','), '--repeats', String(repeats), '--threads', String(threads)],
    {
      env,
      encoding: 'utf8',
      timeout: 30 * 60 * 1000,
    },
  );
  const lines = jsonLines(r.stdout);
  if (r.status !== 0) lines.push({ engine: 'PyTorch', error: (r.stderr || '').split('\n').filter(Boolean).slice(-2).join(' | ') });
  return lines.map((l) => ({ ...l, engine: 'pytorch', torchVersion: l.engine, seconds: l.seconds ?? [] }));
}

async function main() {
  const quick = has('quick');
  const rounds = Number(flag('rounds', quick ? 1 : 2));
  const repeats = Number(flag('repeats', quick ? 2 : 3));
  const workloads = flag('workloads', 'encoder,bbs-video,tiny-embed').split(',');
  const withTorch = !has('no-torch');
  const machine = { cpu: os.cpus()[0]?.model ?? 'unknown', cores: threads, node: process.version, loadAverageAtStart: os.loadavg().map((x) => round(x, 2)) };
  console.log(JSON.stringify({ bench: 'onnx', machine, rounds, repeats, date: new Date().toISOString() }));
  const all = [];
  for (let r = 0; r < rounds; r++) {
    for (const w of workloads) {
      const engines = w === 'tiny-embed' ? ['onnxruntime-node', 'tfjs-wasm', 'tfjs-cpu'] : ['onnxruntime-node', 'tfjs-wasm'];
      for (const e of engines) {
        process.stderr.write(`round ${r + 1}/${rounds}: ${w} on ${e} ...`);
        const t0 = Date.now();
        const res = runChild(e, w, repeats);
        process.stderr.write(` ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
        all.push({ ...res, round: r + 1 });
        console.log(JSON.stringify({ ...res, round: r + 1 }));
      }
    }
    const torchWorkloads = workloads.filter((w) => w !== 'tiny-embed');
    if (withTorch && torchWorkloads.length) {
      process.stderr.write(`round ${r + 1}/${rounds}: ${torchWorkloads.join(', ')} on PyTorch ...`);
      const t0 = Date.now();
      for (const res of runTorch(torchWorkloads, repeats)) {
        all.push({ ...res, round: r + 1 });
        console.log(JSON.stringify({ ...res, round: r + 1 }));
      }
      process.stderr.write(` ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    }
  }
  const summaries = [];
  for (const w of workloads) {
    const rows = all.filter((x) => x.workload === w && !x.error);
    const engines = [...new Set(rows.map((x) => x.engine))];
    const med = Object.fromEntries(engines.map((e) => [e, median(rows.filter((x) => x.engine === e).flatMap((x) => x.seconds))]));
    // The fastest repeat: other work on the machine only ever adds time, so the minimum is the least disturbed
    // measurement (reported beside the median; compare ratios of the same statistic).
    const best = Object.fromEntries(engines.map((e) => [e, Math.min(...rows.filter((x) => x.engine === e).flatMap((x) => x.seconds))]));
    const flops = rows.find((x) => x.flops)?.flops;
    const summary = {
      summary: w,
      medianSeconds: Object.fromEntries(Object.entries(med).map(([k, v]) => [k, round(v)])),
      bestSeconds: Object.fromEntries(Object.entries(best).map(([k, v]) => [k, round(v)])),
    };
    if (flops) summary.gflopsPerSecond = Object.fromEntries(Object.entries(best).map(([k, v]) => [k, round(flops / v / 1e9, 1)]));
    if (w === 'tiny-embed') {
      const clips = rows[0]?.clips ?? 96;
      summary.clipsPerSecond = Object.fromEntries(Object.entries(med).map(([k, v]) => [k, round(clips / v, 1)]));
      summary.bestClipsPerSecond = Object.fromEntries(Object.entries(best).map(([k, v]) => [k, round(clips / v, 1)]));
      summary.note = `${clips} held-out clips: video + audio + first caption each, batch 16, JS preprocessing included`;
    }
    for (const [stat, t] of [
      ['median', med],
      ['best', best],
    ]) {
      const ort = t['onnxruntime-node'];
      const ratios = {};
      if (ort && t.pytorch) ratios.onnxOverPytorch = round(t.pytorch / ort, 2);
      if (ort && t['tfjs-wasm']) ratios.onnxOverTfjsWasm = round(t['tfjs-wasm'] / ort, 2);
      if (ort && t['tfjs-cpu']) ratios.onnxOverTfjsCpu = round(t['tfjs-cpu'] / ort, 2);
      if (t.pytorch && t['tfjs-wasm']) ratios.tfjsWasmOverPytorch = round(t.pytorch / t['tfjs-wasm'], 2);
      summary[`${stat}Ratios`] = ratios;
    }
    summary.loadAverageAtEnd = os.loadavg().map((x) => round(x, 2));
    summaries.push(summary);
    console.log(JSON.stringify(summary));
  }
  const jsonOut = flag('json', undefined);
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ machine, rounds, repeats, results: all, summaries }, null, 1));
}

const childEngine = flag('child', undefined);
(childEngine ? child(childEngine, flag('workload'), Number(flag('repeats', 3))) : main()).then(
  () => process.exit(0),
  (e) => {
    console.error(e?.stack ?? String(e));
    process.exit(1);
  },
);
