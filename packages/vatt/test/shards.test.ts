/**
 * Training from prepared shards, end to end on real media (H.264 + AAC clips ffmpeg writes): `vatt prepare`
 * (tar and TFRecord), then pretraining from the shards with a corrupt media file (skipped by prepare) and a
 * damaged record inside a shard (skipped by the loader), interrupted and resumed to the uninterrupted losses;
 * evaluation from shards through the CLI.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@vatt-testing/backends';
import { makeClips } from '@vatt-testing/clips';
import { buildVocabulary } from '@vatt/tokenizers';
import { ShardSource, type ShardIndex } from '@vatt/data';
import { rewriteShards, truncateFrames } from '@vatt-testing/shards';
import { requireBuiltCli, runVatt } from '@vatt-testing/cli';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { commandPrepare, type PrepareCliOptions } from '../src/cli/prepare-command.js';
import { applyOverrides, getExperiment } from '../src/config/index.js';
import { isShardSpec, readSource } from '../src/data/sources.js';
import { pretrain } from '../src/train/pretrain.js';

const WORDS = ['dog', 'cat', 'car', 'boat', 'tree', 'rain', 'bird'];
const CLIPS = 14;
const CORRUPT = 3;
let tmp: string;
let manifest: string;
let captions: string[];

const prepareOptions = (out: string, extra: Partial<PrepareCliOptions> = {}): PrepareCliOptions => ({
  out,
  split: 'train',
  format: 'tar',
  frames: 'auto',
  jpegQuality: 90,
  shardSize: 0.3,
  workers: 2,
  seed: 0,
  overwrite: false,
  retrySkipped: false,
  quiet: true,
  ...extra,
});

beforeAll(async () => {
  await useBackend('wasm');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'vatt-shards-'));
  const files = makeClips(path.join(tmp, 'media'), CLIPS, { size: 112, seconds: 2 });
  truncateSync(files[CORRUPT], 3000);
  captions = files.map((_, i) => `a ${WORDS[i % 7]} near a ${WORDS[(i * 3 + 1) % 7]}`);
  manifest = path.join(tmp, 'clips.jsonl');
  writeFileSync(manifest, files.map((f, i) => JSON.stringify({ id: `clip${i}`, video: f, captions: [captions[i]] })).join('\n') + '\n');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const index = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'shards.json'), 'utf8')) as ShardIndex;

describe('vatt prepare', () => {
  test('tar shards of the config size, a summary naming the corrupt sample and why, and the caption vocabulary', async () => {
    const out = path.join(tmp, 'tar');
    const written = await commandPrepare(manifest, prepareOptions(out));
    const i = index(out);
    expect(i).toEqual(written);
    expect(i.complete).toBe(true);
    // The tiny preset crops 32 px: stored at a 37 px short side (8/7 margin), raw frames (auto below 128 px), its fps and rate.
    expect({ frames: i.frames, side: i.settings.shortSide, fps: i.settings.fps, rate: i.settings.sampleRate }).toEqual({
      frames: 'raw',
      side: 37,
      fps: 10,
      rate: 5120,
    });
    expect(i.totals.samples).toBe(CLIPS - 1);
    expect(i.shards.length).toBeGreaterThan(1);
    expect(i.skipped.map((s) => [s.id, s.code])).toEqual([[`clip${CORRUPT}`, 'corrupt-media']]);
    expect(i.skipped[0].reason.length).toBeGreaterThan(10);
    // Every word of the captions, ranked as buildVocabulary ranks them.
    expect(readFileSync(path.join(out, 'vocab.txt'), 'utf8')).toBe(buildVocabulary(captions).toText());
    // A second run finds it complete and changes nothing.
    expect(await commandPrepare(manifest, prepareOptions(out))).toEqual(i);
    // The same folder with another frame encoding is refused, naming what differs and the way out.
    await expect(commandPrepare(manifest, prepareOptions(out, { frames: 'jpeg' }))).rejects.toThrow(/other frames.*vatt prepare --overwrite/);
  });

  test('a source is shards when it is a shard folder, an index, a shard file, a brace pattern or a URL; media otherwise', async () => {
    const out = path.join(tmp, 'tar');
    for (const spec of [out, path.join(out, 'shards.json'), path.join(out, 'shard-000000.tar'), `${out}/shard-{000000..000001}.tar`, 'https://h/s.tar']) {
      expect({ spec, shards: isShardSpec(spec) }).toEqual({ spec, shards: true });
    }
    expect(isShardSpec(manifest)).toBe(false);
    expect(isShardSpec(path.join(tmp, 'media'))).toBe(false);
    const s = await readSource(out);
    expect({ kind: s.kind, samples: s.samples.length, shards: s.shards?.shards.length, words: s.vocabulary?.length }).toEqual({
      kind: 'shards',
      samples: 0,
      shards: index(out).shards.length,
      words: buildVocabulary(captions).words.length,
    });
    expect(s.description).toMatch(/^\d+ tar shards, 13 samples, raw frames at 37 px$/);
  });
});

describe('pretraining from shards', () => {
  const config = applyOverrides(getExperiment('tiny'), [
    'training.steps=6',
    'training.batchSize=4',
    'training.checkpointEvery=2',
    'training.keep=3',
    'training.seed=5',
    'schedule.warmupSteps=2',
  ]);

  /** A copy of the tar shards in which the first record of the second shard has half its frames. */
  async function damagedCopy(): Promise<{ dir: string; damaged: string }> {
    const dir = path.join(tmp, 'tar-damaged');
    let damaged = '';
    await rewriteShards(path.join(tmp, 'tar'), dir, (clip, shard) => {
      if (shard !== 1 || damaged) return clip;
      damaged = clip.meta.id;
      return truncateFrames(clip);
    });
    return { dir, damaged };
  }

  test('interrupted and resumed, it repeats the uninterrupted losses; the damaged record is skipped every epoch; no tensor leaks', async () => {
    const { dir, damaged } = await damagedCopy();
    const source = await readSource(dir);
    const data = { shards: source.shards!, vocabulary: source.vocabulary, workers: 2 };
    const skips: string[] = [];
    const before = tf.memory().numTensors;
    const full = await pretrain({ config, data, outDir: path.join(tmp, 'run-full') }, { onSkip: (id, reason) => skips.push(`${id}: ${reason}`) });
    // 6 batches of 4 from 12 usable records: two epochs, the damaged record met in both.
    expect(full.history.map((r) => r.epoch)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(skips).toEqual([expect.stringMatching(new RegExp(`^${damaged}: error: .*frames are truncated`)), expect.stringMatching(`^${damaged}: `)]);
    expect(full.history.every((r) => Number.isFinite(r.loss))).toBe(true);
    expect(new Set(full.history.slice(1).map((r) => r.tensors)).size).toBe(1);
    full.model.dispose();
    expect(tf.memory().numTensors).toBe(before);

    const crash = new Error('simulated crash');
    const cut = path.join(tmp, 'run-cut');
    const stop = {
      onStep: (r: { step: number }) => {
        if (r.step === 5) throw crash;
      },
    };
    await expect(pretrain({ config, data, outDir: cut }, stop)).rejects.toBe(crash);
    const resumed = await pretrain({ data: { ...data, shards: await ShardSource.open(dir) }, outDir: cut, resume: true });
    expect(resumed.history.map((r) => r.step)).toEqual([5, 6]);
    expect(resumed.history.map((r) => r.loss)).toEqual(full.history.slice(4).map((r) => r.loss));
    resumed.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  test('TFRecord shards (the DMVR layout) train the same model; the vocabulary is read from the records when vocab.txt is missing', async () => {
    const out = path.join(tmp, 'tfrecord');
    const i = await commandPrepare(manifest, prepareOptions(out, { format: 'tfrecord' }));
    expect({ format: i.format, frames: i.frames, samples: i.totals.samples }).toEqual({ format: 'tfrecord', frames: 'jpeg', samples: CLIPS - 1 });
    rmSync(path.join(out, 'vocab.txt'));
    const source = await readSource(out);
    expect(source.vocabulary).toBeUndefined();
    const short = applyOverrides(config, ['training.steps=2']);
    const before = tf.memory().numTensors;
    const r = await pretrain({ config: short, data: { shards: source.shards!, workers: 1 }, outDir: path.join(tmp, 'run-tfrecord') });
    expect(r.history.map((h) => Number.isFinite(h.loss))).toEqual([true, true]);
    // The captions of the 13 stored samples hold every word of the 14 (the corrupt clip's words recur).
    expect([...r.preprocessor.vocabulary.words].sort()).toEqual([...buildVocabulary(captions).words].sort());
    r.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  test('the CLI trains, evaluates and embeds from a shard folder', () => {
    requireBuiltCli();
    const run = path.join(tmp, 'run-cli');
    const cli = (args: string[]) => runVatt(args);
    const train = cli(['pretrain', '--data', path.join(tmp, 'tar'), '--steps', '2', '--batch', '4', '--out', run, '--backend', 'wasm']);
    expect({ code: train.code, err: train.err }).toEqual({ code: 0, err: '' });
    expect(train.out).toMatch(/data: shards: \d+ tar shards, 13 samples, raw frames at 37 px/);
    const evaluated = cli(['eval', 'retrieval', run, '--data', path.join(tmp, 'tar'), '--backend', 'wasm']);
    expect({ code: evaluated.code, err: evaluated.err }).toEqual({ code: 0, err: '' });
    expect(evaluated.out).toMatch(/zero-shot retrieval over 13 clips/);
    // An index folder of the shards' clips (vatt search reads it).
    const index = path.join(tmp, 'index-cli');
    const embedded = cli(['embed', run, '--data', path.join(tmp, 'tar'), '--out', index, '--backend', 'wasm', '--quiet']);
    expect({ code: embedded.code, err: embedded.err }).toEqual({ code: 0, err: '' });
    const ids = JSON.parse(readFileSync(path.join(index, 'ids.json'), 'utf8')) as Array<{ id: string }>;
    expect(ids.map((e) => e.id).sort()).toEqual(
      Array.from({ length: CLIPS }, (_, i) => `clip${i}`)
        .filter((id) => id !== `clip${CORRUPT}`)
        .sort(),
    );
  }, 120_000);
});
