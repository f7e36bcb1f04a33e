/**
 * Kill -9 at seeded random points of long jobs, then resume or rerun: nothing finished is lost, nothing
 * partial looks complete, and a resumed pretraining run repeats the uninterrupted run's losses exactly
 * (from the embedded data and from prepared shards of real media).
 * The kill points are delays drawn from a seeded stream over the job's whole duration (start-up, steps,
 * checkpoint writes), so they land in different phases; the assertions must hold wherever they land.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { requireBuiltCli, runVatt, VATT_CLI } from '@vatt-testing/cli';
import { makeClips } from '@vatt-testing/clips';
import { ShardSource, type ShardIndex } from '@vatt/data';
import { Rng } from '@vatt/tokenizers';

const KILLS = 10;
let tmp: string;

beforeAll(() => {
  requireBuiltCli();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'vatt-faults-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the CLI to the end. */
const vatt = (args: string[]) => runVatt(args);

/** Starts the CLI and kills it with SIGKILL after `ms` (or lets it finish first). Resolves with how it ended. */
function vattKilledAfter(args: string[], ms: number): Promise<{ killed: boolean; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [VATT_CLI, ...args], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ killed: signal === 'SIGKILL', code });
    });
  });
}

/**
 * Runs the CLI to the end, timing it: its whole duration and when its first step was logged (`log.jsonl`
 * appeared), so kill points can be drawn over the whole run and over its training phase alone.
 */
function vattTimed(args: string[], log: string): Promise<{ code: number | null; err: string; duration: number; firstStep: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    let firstStep = -1;
    let err = '';
    const child = spawn(process.execPath, [VATT_CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const poll = setInterval(() => {
      if (firstStep < 0 && existsSync(log)) firstStep = Date.now() - t0;
    }, 5);
    child.on('exit', (code) => {
      clearInterval(poll);
      resolve({ code, err, duration: Date.now() - t0, firstStep });
    });
  });
}

/** Kill point `k`: even ones anywhere in the run (start-up included), odd ones in its training phase. */
const killPoint = (rng: Rng, k: number, run: { duration: number; firstStep: number }) =>
  Math.round(k % 2 === 0 ? rng.uniform(0.05, 1) * run.duration : rng.uniform(Math.max(0, run.firstStep), run.duration));

/** The loss of every step in a run's log; a step logged twice (killed, then resumed) keeps its last value. */
function losses(dir: string): Map<number, number> {
  const out = new Map<number, number>();
  const file = path.join(dir, 'log.jsonl');
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as { step?: number; loss?: number; event?: string };
    if (r.event === undefined && r.step !== undefined) out.set(r.step, r.loss!);
  }
  return out;
}

const pretrainArgs = (out: string) => [
  'pretrain',
  '--steps',
  '8',
  '--batch',
  '8',
  '--checkpoint-every',
  '2',
  '--keep',
  '10',
  '--out',
  out,
  '--backend',
  'wasm',
  '--quiet',
];

test(`pretrain killed at ${KILLS} seeded points resumes to the uninterrupted losses, with no partial checkpoint left`, async () => {
  const full = path.join(tmp, 'full');
  const reference = await vattTimed(pretrainArgs(full), path.join(full, 'log.jsonl'));
  expect({ code: reference.code, err: reference.err }).toEqual({ code: 0, err: '' });
  const { duration } = reference;
  const expected = losses(full);
  expect([...expected.keys()]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  const rng = new Rng(2026);
  const outcomes: string[] = [];
  let killed = 0;
  for (let k = 0; k < KILLS; k++) {
    const out = path.join(tmp, `cut-${k}`);
    const at = killPoint(rng, k, reference);
    const cut = await vattKilledAfter(pretrainArgs(out), at);
    if (cut.killed) killed++;
    const saved = existsSync(path.join(out, 'checkpoints'))
      ? readdirSync(path.join(out, 'checkpoints')).filter((n) => /^ckpt-\d+$/.test(n) && existsSync(path.join(out, 'checkpoints', n, 'model.json')))
      : [];
    // Resume from the newest complete checkpoint, or start again when the kill came before the first one.
    const again = vatt(saved.length ? [...pretrainArgs(out), '--resume'] : [...pretrainArgs(out), '--overwrite']);
    expect({ k, at, code: again.code, err: again.err }).toEqual({ k, at, code: 0, err: '' });
    expect({ k, losses: [...losses(out)] }).toEqual({ k, losses: [...expected] });
    const names = readdirSync(path.join(out, 'checkpoints'));
    // Every checkpoint left is complete (model.json written last), and no interrupted save remains.
    expect({ k, names: names.filter((n) => !/^ckpt-\d{8}$/.test(n)) }).toEqual({ k, names: [] });
    for (const n of names) expect(existsSync(path.join(out, 'checkpoints', n, 'model.json'))).toBe(true);
    outcomes.push(`${at} ms: ${cut.killed ? `killed with ${saved.length} complete checkpoint(s)` : 'finished first'}`);
  }
  console.log(`pretrain kill points (run of ${duration} ms, first step at ${reference.firstStep} ms):\n${outcomes.join('\n')}`);
  // At least one point must land inside the job, or the loop tested only uninterrupted runs.
  expect(killed).toBeGreaterThan(0);
}, 600_000);

test(`import tf killed at ${KILLS} seeded points leaves nothing that looks complete, and a rerun gives the same weights`, async () => {
  // A checkpoint big enough for the kills to land inside the conversion: the tiny model with a Small (6 x 512) video tower.
  const src = path.join(tmp, 'import-src');
  const train = vatt(['pretrain', '--steps', '1', '--batch', '2', '--set', 'model.video.size=small', '--out', src, '--backend', 'wasm', '--quiet']);
  expect(train.err).toBe('');
  const prefix = path.join(tmp, 'tf', 'ckpt-1');
  expect(vatt(['export', 'tf', src, prefix]).code).toBe(0);
  const importArgs = (out: string) => ['import', 'tf', prefix, '--preset', 'tiny', '--set', 'model.video.size=small', '--out', out];
  const full = path.join(tmp, 'import-full');
  const t0 = Date.now();
  const first = vatt(importArgs(full));
  const duration = Date.now() - t0;
  expect({ code: first.code, err: first.err }).toEqual({ code: 0, err: '' });
  const expected = readFileSync(path.join(full, 'model.json'), 'utf8');
  const rng = new Rng(12);
  const outcomes: string[] = [];
  let killed = 0;
  for (let k = 0; k < KILLS; k++) {
    const out = path.join(tmp, `import-cut-${k}`);
    const at = Math.round(rng.uniform(0.1, 1) * duration);
    const cut = await vattKilledAfter(importArgs(out), at);
    if (cut.killed) killed++;
    // Either nothing, or the complete checkpoint: the output appears only by its final rename.
    const left = existsSync(out) ? (existsSync(path.join(out, 'model.json')) ? 'complete' : 'PARTIAL') : 'nothing';
    expect({ k, at, left: left === 'PARTIAL' ? left : 'ok' }).toEqual({ k, at, left: 'ok' });
    if (left === 'nothing') expect({ k, code: vatt(importArgs(out)).code }).toEqual({ k, code: 0 });
    expect({ k, same: readFileSync(path.join(out, 'model.json'), 'utf8') === expected }).toEqual({ k, same: true });
    for (const shard of readdirSync(full).filter((n) => n.endsWith('.bin'))) {
      expect({ k, shard, same: readFileSync(path.join(out, shard)).equals(readFileSync(path.join(full, shard))) }).toEqual({ k, shard, same: true });
    }
    const temporaries = readdirSync(tmp).filter((n) => n.startsWith(`import-cut-${k}.`) || n.startsWith(`.import-cut-${k}`));
    outcomes.push(
      `${at} ms: ` +
        (cut.killed ? `killed, left ${left}${temporaries.length ? ` (+ an unfinished temporary: ${temporaries.join(', ')})` : ''}` : 'finished first'),
    );
  }
  console.log(`import tf kill points (import of ${duration} ms):\n${outcomes.join('\n')}`);
  // At least one point must land inside the job, or the loop tested only uninterrupted runs.
  expect(killed).toBeGreaterThan(0);
}, 600_000);

/** A manifest of real clips (H.264 + AAC, 2 s) with one truncated file among them. */
function mediaManifest(dir: string, count: number, corrupt: number): string {
  const files = makeClips(path.join(dir, 'media'), count, { size: 112, seconds: 2 });
  truncateSync(files[corrupt], 3000);
  const manifest = path.join(dir, 'clips.jsonl');
  writeFileSync(manifest, files.map((f, i) => JSON.stringify({ id: `clip${i}`, video: f, captions: [`clip ${i} of ${count} beeps`] })).join('\n') + '\n');
  return manifest;
}

/** What a shard folder holds, record by record (meta and a hash of the frames and audio), keyed by sample key. */
async function shardContents(dir: string): Promise<Map<string, string>> {
  const source = await ShardSource.open(dir);
  const out = new Map<string, string>();
  for (let i = 0; i < source.shards.length; i++) {
    for await (const clip of source.records(i)) {
      const hash = createHash('sha256');
      if (clip.frames) hash.update(clip.frames);
      if (clip.audio) hash.update(new Uint8Array(clip.audio.buffer, clip.audio.byteOffset, clip.audio.byteLength));
      out.set(clip.meta.key, `${JSON.stringify(clip.meta)} ${hash.digest('hex')}`);
    }
  }
  return out;
}

test(`prepare killed at ${KILLS} seeded points resumes to the same samples, skips and vocabulary; no partial shard is left`, async () => {
  const manifest = mediaManifest(path.join(tmp, 'prepare-media'), 24, 7);
  const prepareArgs = (out: string) => ['prepare', manifest, '--out', out, '--shard-size', '0.25', '--workers', '2', '--quiet'];
  const full = path.join(tmp, 'prepare-full');
  const t0 = Date.now();
  const first = vatt(prepareArgs(full));
  const duration = Date.now() - t0;
  expect({ code: first.code, err: first.err }).toEqual({ code: 0, err: '' });
  const expected = await shardContents(full);
  const expectedIndex = JSON.parse(readFileSync(path.join(full, 'shards.json'), 'utf8')) as ShardIndex;
  expect(expected.size).toBe(23);
  const rng = new Rng(31);
  const outcomes: string[] = [];
  let killed = 0;
  for (let k = 0; k < KILLS; k++) {
    const out = path.join(tmp, `prepare-cut-${k}`);
    const at = Math.round(rng.uniform(0.1, 1) * duration);
    const cut = await vattKilledAfter(prepareArgs(out), at);
    if (cut.killed) killed++;
    const shardsBefore = existsSync(out) ? readdirSync(out).filter((n) => n.endsWith('.tar')).length : 0;
    const again = vatt(prepareArgs(out));
    expect({ k, at, code: again.code, err: again.err }).toEqual({ k, at, code: 0, err: '' });
    const index = JSON.parse(readFileSync(path.join(out, 'shards.json'), 'utf8')) as ShardIndex;
    expect({ k, complete: index.complete, totals: index.totals, skipped: index.skipped.map((s) => [s.id, s.code]) }).toEqual({
      k,
      complete: true,
      totals: { ...expectedIndex.totals, bytes: index.totals.bytes },
      skipped: expectedIndex.skipped.map((s) => [s.id, s.code]),
    });
    // Every sample once, stored exactly as the uninterrupted run stored it; no temporary file; every listed shard there.
    expect({ k, same: [...(await shardContents(out))].sort().join('\n') === [...expected].sort().join('\n') }).toEqual({ k, same: true });
    expect({ k, left: readdirSync(out).filter((n) => !/^(shard-\d{6}\.tar|shards\.json|vocab\.txt)$/.test(n)) }).toEqual({ k, left: [] });
    expect(readFileSync(path.join(out, 'vocab.txt'), 'utf8')).toBe(readFileSync(path.join(full, 'vocab.txt'), 'utf8'));
    outcomes.push(`${at} ms: ${cut.killed ? `killed with ${shardsBefore} complete shard(s)` : 'finished first'}`);
  }
  console.log(`prepare kill points (prepare of ${duration} ms):\n${outcomes.join('\n')}`);
  // At least one point must land inside the job, or the loop tested only uninterrupted runs.
  expect(killed).toBeGreaterThan(0);
}, 600_000);

test('pretraining from shards, killed at 4 seeded points, resumes to the uninterrupted losses', async () => {
  const manifest = mediaManifest(path.join(tmp, 'train-media'), 14, 2);
  const shards = path.join(tmp, 'train-shards');
  expect(vatt(['prepare', manifest, '--out', shards, '--quiet']).code).toBe(0);
  // The last --batch wins: 4 (three batches an epoch of the 13 stored clips).
  const trainArgs = (out: string) => [...pretrainArgs(out), '--batch', '4', '--data', shards];
  const full = path.join(tmp, 'shards-full');
  const reference = await vattTimed(trainArgs(full), path.join(full, 'log.jsonl'));
  expect({ code: reference.code, err: reference.err }).toEqual({ code: 0, err: '' });
  const { duration } = reference;
  const expected = losses(full);
  expect([...expected.keys()]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  const rng = new Rng(77);
  const outcomes: string[] = [];
  let killed = 0;
  for (let k = 0; k < 4; k++) {
    const out = path.join(tmp, `shards-cut-${k}`);
    const at = killPoint(rng, k, reference);
    const cut = await vattKilledAfter(trainArgs(out), at);
    if (cut.killed) killed++;
    const saved = existsSync(path.join(out, 'checkpoints')) && readdirSync(path.join(out, 'checkpoints')).some((n) => /^ckpt-\d+$/.test(n));
    const again = vatt([...trainArgs(out), saved ? '--resume' : '--overwrite']);
    expect({ k, at, code: again.code, err: again.err }).toEqual({ k, at, code: 0, err: '' });
    expect({ k, losses: [...losses(out)] }).toEqual({ k, losses: [...expected] });
    outcomes.push(`${at} ms: ${cut.killed ? `killed ${saved ? 'after a checkpoint' : 'before the first checkpoint'}` : 'finished first'}`);
  }
  console.log(`pretrain from shards kill points (run of ${duration} ms, first step at ${reference.firstStep} ms):\n${outcomes.join('\n')}`);
  // At least one point must land inside the job, or the loop tested only uninterrupted runs.
  expect(killed).toBeGreaterThan(0);
}, 600_000);
