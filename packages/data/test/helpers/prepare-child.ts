// Runs prepareShards in a child process for the kill-and-resume test: argv = samples.json, out folder, worker
// script, the sample count at which to stall. At that count it prints STALL and blocks (Atomics.wait), so the
// test can SIGKILL it mid-shard, with a partial shard under its temporary name.
import { readFileSync } from 'node:fs';
import { prepareShards } from '../../src/index.js';
import type { PrepareOptions, Sample } from '../../src/index.js';

const [samplesFile, out, workerScript, stallAt, optionsJson] = process.argv.slice(2);
const samples = JSON.parse(readFileSync(samplesFile, 'utf8')) as Sample[];
const options = JSON.parse(optionsJson) as Omit<PrepareOptions, 'out'>;
await prepareShards(samples, {
  ...options,
  out,
  workerScript,
  onProgress: (p) => {
    process.stdout.write(`done ${p.done}\n`);
    if (p.done === Number(stallAt)) {
      process.stdout.write('STALL\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120_000);
    }
  },
});
process.stdout.write('FINISHED\n');
