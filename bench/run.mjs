// `npm run bench`: forward and training-step throughput of VATT.ts workloads on every available
// backend, the same encoder workload in PyTorch (when Debian's python3-torch is present) and the
// @vatt/data loader. Prints a table and writes JSON (default bench/results.json).
//
//   node bench/run.mjs [--quick] [--json out.json] [--no-torch] [--no-loader] [--only workloads,pretrain-data,...]
//
// Then the project's other benches, each in its own process, their results under `benches` in the JSON:
// loader (ffmpeg per clip), shards (prepare and load prepared shards), pretrain-data (training from shards vs
// in-memory arrays vs media files), soak (1,000 steps: tensors and RSS flat), onnx (onnxruntime vs PyTorch vs
// tfjs), tf-checkpoint (tensor-bundle read/write), official-import (a BBS-sized released checkpoint).
//
// Each (workload, backend) runs in its own process (bench/workload.mjs) so its peak RSS is its own
// and a wasm heap abort (4 GiB) is recorded instead of ending the run. Times are medians.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonLines } from './json-lines.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = process.argv.slice(2);
const has = (name) => args.includes(`--${name}`);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const quick = has('quick');
// --only workloads,loader,shards,pretrain-data,soak,onnx,tf-checkpoint,official-import (default: all of them).
const only = flag('only', undefined)?.split(',');
const wanted = (name) => !only || only.includes(name);
const jsonOut = flag('json', join(here, 'results.json'));

const env = { ...process.env };
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
if (!env.XDG_RUNTIME_DIR) env.XDG_RUNTIME_DIR = mkdtempSync(join(os.tmpdir(), 'xdg-'));

const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.availableParallelism(),
  memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  node: process.version,
  loadAverageAtStart: os.loadavg().map((x) => +x.toFixed(2)),
  date: new Date().toISOString(),
};

function runWorkload(backend, workload, repeats, extra = []) {
  const argv = [join(here, 'workload.mjs'), '--backend', backend, '--workload', workload, '--repeats', String(repeats), ...extra];
  process.stderr.write(`  ${workload} on ${backend} ${extra.join(' ')} ...`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, argv, { env, encoding: 'utf8', timeout: 15 * 60 * 1000, maxBuffer: 64 * 2 ** 20 });
  process.stderr.write(` ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  const line = jsonLines(r.stdout).pop();
  if (r.status === 0 && line) return line;
  const err = (r.stderr || '').split('\n').find((l) => /Error|Abort/.test(l)) ?? `exit ${r.status ?? r.signal}`;
  return { backend, workload, options: extra.join(' '), error: err.trim() };
}

/** Which backends start here (tensorflow = tfjs-node, usually absent). */
function probeBackends() {
  const found = {};
  for (const b of ['tensorflow', 'webgpu', 'wasm', 'cpu']) {
    const code =
      `import('vatt').then(async (v) => { const i = await v.setupBackend('${b}'); console.log(JSON.stringify(i)); process.exit(0); })` +
      '.catch((e) => { console.log(JSON.stringify({ error: e.message })); process.exit(0); })';
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env, encoding: 'utf8', cwd: root, timeout: 120000 });
    const line = jsonLines(r.stdout).pop();
    found[b] = line ?? { error: `probe failed: ${r.stderr.split('\n')[0]}` };
  }
  return found;
}

function runTorch() {
  const python = '/usr/bin/python3';
  const check = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (check.status !== 0) return { skipped: 'python3-torch not installed (apt-get install python3-torch libopenblas0-pthread)' };
  const openblas = spawnSync('dpkg-query', ['-W', '-f=${Status}', 'libopenblas0-pthread'], { encoding: 'utf8' });
  const blasNote = openblas.stdout.includes('install ok installed')
    ? 'OpenBLAS (libopenblas0-pthread)'
    : 'reference netlib BLAS: libopenblas0-pthread is NOT installed, torch is ~34x slower than it should be';
  process.stderr.write('  encoder in PyTorch ...');
  const t0 = Date.now();
  // OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE force older kernels: unset both for this one command (toolchain.md).
  const torchEnv = { ...process.env };
  delete torchEnv.OPENBLAS_CORETYPE;
  delete torchEnv.OPENBLAS_L2_SIZE;
  const r = spawnSync(python, [join(here, 'torch_encoder.py'), '--repeats', String(quick ? 2 : 3), '--threads', String(machine.cores)], {
    env: torchEnv,
    encoding: 'utf8',
    timeout: 15 * 60 * 1000,
  });
  process.stderr.write(` ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  const line = r.stdout.trim().split('\n').pop();
  if (r.status !== 0 || !line) return { error: r.stderr.split('\n').slice(-2).join(' ') };
  return { ...JSON.parse(line), blasPackage: blasNote };
}

/**
 * Runs one of the project's other benches (a Node script that prints its result as its last JSON line) and
 * returns that result, or `{ error }`. Their progress goes to stderr as they run.
 */
function runScript(name, script, scriptArgs = []) {
  const file = join(root, script);
  if (!existsSync(file)) return { error: `${script} not found` };
  process.stderr.write(`  ${name} (${script} ${scriptArgs.join(' ')}) ...\n`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [file, ...scriptArgs], { env, cwd: root, encoding: 'utf8', timeout: 60 * 60 * 1000, maxBuffer: 64 * 2 ** 20 });
  process.stderr.write(`  ${name}: exit ${r.status ?? r.signal} after ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  const lines = jsonLines(r.stdout);
  if (r.status !== 0 || lines.length === 0) return { error: (r.stderr || '').split('\n').filter(Boolean).slice(-1)[0] ?? `exit ${r.status}` };
  // One result line, or (bench/onnx.mjs) one summary line per workload after the measurements.
  const summaries = lines.filter((l) => l.summary !== undefined);
  return summaries.length ? { summaries } : lines[lines.length - 1];
}

/** The other benches, each in its own process: what --only names them. */
const SCRIPTS = {
  loader: () => ['packages/data/bench/loader.mjs', ['--clips', quick ? '4' : '8']],
  shards: () => ['packages/data/bench/shards.mjs', quick ? ['--clips', '64', '--only', 'tiny,small'] : []],
  'pretrain-data': () => ['bench/pretrain-data.mjs', quick ? ['--clips', '64', '--steps', '6', '--direct-steps', '2'] : []],
  soak: () => ['bench/soak.mjs', ['--steps', quick ? '200' : '1000']],
  onnx: () => ['bench/onnx.mjs', quick ? ['--quick'] : []],
  'tf-checkpoint': () => ['packages/vatt/bench/tf-checkpoint.mjs', ['--gb', quick ? '0.25' : '1']],
  'official-import': () => ['packages/vatt/bench/official-import.mjs', quick ? ['--preset', 'mbs'] : []],
};

/** The model workloads (bench/workload.mjs), each (workload, backend) in its own process. */
function runWorkloads(runs, usable, software, R) {
  // Tiny VATT on everything that starts (cpu and a software WebGPU adapter are only fast enough here).
  for (const b of usable) runs.push(runWorkload(b, 'vatt-tiny', quick ? 3 : 5));
  // Small workloads: the fast backends only (cpu and software WebGPU would take hours).
  const fast = usable.filter((b) => b === 'tensorflow' || b === 'wasm' || (b === 'webgpu' && !software));
  for (const b of fast) runs.push(runWorkload(b, 'video-small', R));
  for (const b of fast) {
    runs.push(runWorkload(b, 'encoder', R, ['--phases', 'forward']));
    // Whole-batch training step; on wasm it exceeds the 4 GiB heap (recorded as an error).
    runs.push(runWorkload(b, 'encoder', Math.max(1, R - 1), ['--phases', 'train']));
    runs.push(runWorkload(b, 'encoder', Math.max(1, R - 1), ['--phases', 'train', '--micro-batch', '2']));
    // Whole batch with activation checkpointing: each layer keeps only its input for backprop.
    runs.push(runWorkload(b, 'encoder', Math.max(1, R - 1), ['--phases', 'train', '--checkpoint']));
  }
  // Data parallel on every core: a ReplicaPool of wasm workers (wasm runs one thread per backend in Node).
  if (usable.includes('wasm') && machine.cores > 1) {
    runs.push(runWorkload('wasm', 'encoder', R, ['--phases', 'forward,train', '--micro-batch', '2', '--replicas', String(machine.cores)]));
  }
}

/** One line or a few per bench for the printed report (the JSON has everything). */
function benchSummary(benches) {
  const lines = [];
  for (const [name, b] of Object.entries(benches)) {
    if (b.error) lines.push(`${name}: failed: ${b.error}`);
    else if (name === 'pretrain-data')
      for (const r of b.rows)
        lines.push(
          `pretrain-data ${r.model} (${r.frames}, batch ${b.batch}): s/step ${r.inMemory.medianStepSeconds} in memory, ${r.fromShards.medianStepSeconds} ` +
            `from shards (${r.shardsToMemory}x the wall time), ${r.direct.medianStepSeconds} from media files; loader ${r.loaderClipsPerSecond} clips/s = ` +
            `${r.loaderToStep}x what a step consumes`,
        );
    else if (name === 'shards')
      for (const r of b.rows)
        lines.push(
          `shards ${r.config} (${r.frames}): prepare raw ${r.prepare_raw?.clipsPerSecond} clips/s (${r.prepare_raw?.bytesPerClip} B/clip), jpeg ` +
            `${r.prepare_jpeg?.clipsPerSecond} clips/s (${r.prepare_jpeg?.bytesPerClip} B/clip); load raw ${r.load_raw?.clipsPerSecond}, jpeg ` +
            `${r.load_jpeg?.clipsPerSecond}, media files ${r.load_direct?.clipsPerSecond} clips/s`,
        );
    else if (name === 'soak')
      lines.push(`soak: ${b.steps} steps, tensors alive ${b.tensorsAlive.min}-${b.tensorsAlive.max}, RSS slope ${b.rssSlopeMBPer1000Steps} MB / 1000 steps`);
    else if (b.summaries) for (const s of b.summaries) lines.push(`${name} ${s.summary}: ${JSON.stringify(s.medianRatios ?? s)}`);
    else lines.push(`${name}: ${JSON.stringify(b).slice(0, 400)}`);
  }
  return lines;
}

async function main() {
  const R = quick ? 2 : 3;
  console.error(`VATT.ts benchmarks on ${machine.cpu} (${machine.cores} cores), Node ${machine.node}`);
  const backends = probeBackends();
  const usable = Object.keys(backends).filter((b) => !backends[b].error);
  const software = backends.webgpu?.detail?.includes('(software)');
  const runs = [];
  if (wanted('workloads')) runWorkloads(runs, usable, software, R);
  const torch = has('no-torch') || !wanted('workloads') ? { skipped: has('no-torch') ? '--no-torch' : 'not in --only' } : runTorch();
  const benches = {};
  for (const [name, spec] of Object.entries(SCRIPTS)) {
    if (!wanted(name) || (name === 'loader' && has('no-loader'))) continue;
    const [script, scriptArgs] = spec();
    benches[name] = runScript(name, script, scriptArgs);
  }
  const loader = benches.loader ?? { skipped: 'not run' };

  // Ratios to PyTorch for the encoder workload (same run, same machine).
  for (const r of runs) {
    if (r.workload !== 'encoder' || !torch.forward) continue;
    if (r.forward) r.forward.ratioToTorch = +(torch.forward.medianSeconds / r.forward.medianSeconds).toFixed(3);
    if (r.train) r.train.ratioToTorch = +(torch.train.medianSeconds / r.train.medianSeconds).toFixed(3);
  }

  const rows = [['workload', 'backend', 'phase', 'median s', 'samples/s', 'tokens/s', 'GFLOP/s', 'peak RSS MiB', 'tf MiB', 'tensors', 'x torch']];
  for (const r of runs) {
    const label = (phase) =>
      [
        r.workload,
        r.replicas ? ` (${r.replicas} replicas)` : '',
        r.microBatch && phase === 'train' ? ` (micro-batch ${r.microBatch})` : '',
        r.checkpointLayers ? ' (checkpointed layers)' : '',
      ].join('');
    if (r.error) {
      rows.push([`${r.workload} ${r.options ?? ''}`.trim(), r.backend, '-', `failed: ${r.error.slice(0, 60)}`, '', '', '', '', '', '', '']);
      continue;
    }
    for (const phase of ['forward', 'train']) {
      const p = r[phase];
      if (!p) continue;
      rows.push(
        [
          label(phase),
          r.backend,
          phase,
          p.medianSeconds,
          p.samplesPerSecond,
          p.tokensPerSecond,
          p.gflopsPerSecond,
          p.peakRssMiB,
          p.tfBytesMiB,
          p.tensorsAlive,
          p.ratioToTorch ?? '',
        ].map(String),
      );
    }
  }
  if (torch.forward) {
    const flops = runs.find((r) => r.workload === 'encoder' && r.forward);
    for (const phase of ['forward', 'train']) {
      const p = torch[phase];
      const perSample = flops ? (flops.forward.gflopsPerSecond * flops.forward.medianSeconds) / flops.batch : null;
      const g = perSample ? ((perSample * 8 * (phase === 'train' ? 3 : 1)) / p.medianSeconds).toFixed(2) : '';
      rows.push([
        'encoder',
        `${torch.engine} (${torch.threads} threads)`,
        phase,
        p.medianSeconds.toFixed(4),
        (8 / p.medianSeconds).toFixed(2),
        Math.round((8 * 256) / p.medianSeconds),
        g,
        p.peakRssMiB,
        '',
        '',
        '1',
      ]);
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => String(row[c]).length)));
  console.log(`\nVATT.ts benchmarks: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node} (load ${machine.loadAverageAtStart.join(' ')})\n`);
  rows.forEach((row, i) => {
    console.log(row.map((cell, c) => String(cell).padEnd(widths[c])).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  });
  for (const [b, info] of Object.entries(backends)) console.log(`backend ${b}: ${info.error ? `unavailable (${info.error})` : info.detail}`);
  if (torch.blasPackage) console.log(`PyTorch BLAS: ${torch.blasPackage}`);
  if (loader.rows) for (const r of loader.rows) console.log(`loader: ${r.source}, ${r.config}: ${r.clipsPerSecond} clips/s (${loader.workers} workers)`);
  for (const line of benchSummary(benches)) console.log(line);

  const previous = existsSync(jsonOut) ? JSON.parse(readFileSync(jsonOut, 'utf8')) : {};
  const result = { machine, backends, runs, torch, loader, benches, notes: previous.notes ?? [] };
  writeFileSync(jsonOut, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nwritten ${jsonOut}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
