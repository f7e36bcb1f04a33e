import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  BatchLoader,
  decodeClip,
  decodeSequenceExample,
  encodeSequenceExample,
  expandBraces,
  frameTfRecord,
  isShardFolder,
  loadClip,
  loadStoredClip,
  MediaError,
  prepareShards,
  readTfRecords,
  ShardSource,
  storedFrames,
  TfRecordError,
  workerEntry,
} from '../src/index.js';
import type { Batch, ClipConfig, Sample, ShardIndex, StoredClip } from '../src/index.js';
import { defaultWorkerScript } from '../src/loader/pool.js';
import { TENSORFLOW_EXAMPLE_PROTO, exampleTypes } from '../src/shards/example-proto.js';
import { SharedBufferPool, shareStoredClip, storedFramesView } from '../src/shards/stored.js';
import { clipSamples, makeClips } from '@vatt-testing/clips';
import { generateMedia } from './helpers/media.js';
import type { GeneratedMedia } from './helpers/media.js';

const tiny: ClipConfig = { mode: 'train', video: { numFrames: 8, fps: 10, size: 32 }, audio: { sampleRate: 8000, numSamples: 6400 } };
/** Store settings matching `tiny` (stored short side ceil(32 x 8/7) = 37). */
const store = { size: 32, fps: 10, sampleRate: 8000 } as const;

let dir: string;
let media: GeneratedMedia;
let good: Sample[];
let samples: Sample[];

afterAll(() => {
  for (const d of [dir, media.dir]) rmSync(d, { recursive: true, force: true });
});

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vatt-shards-test-'));
  media = generateMedia();
  good = clipSamples(makeClips(join(dir, 'media'), 8));
  samples = [
    ...good.slice(0, 3),
    { id: 'corrupt', video: media.corrupt },
    ...good.slice(3, 6),
    { id: 'silent', video: media.silent },
    ...good.slice(6),
    { id: 'missing', video: join(dir, 'missing.mp4') },
  ];
});

async function records(source: ShardSource): Promise<StoredClip[]> {
  const out: StoredClip[] = [];
  for (let i = 0; i < source.shards.length; i++) for await (const clip of source.records(i)) out.push(clip);
  return out;
}

async function collect(loader: BatchLoader, limit = Infinity): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const batch of loader) {
    out.push(batch);
    if (out.length >= limit) break;
  }
  return out;
}

function same(a: Batch[], b: Batch[]): void {
  expect(b.map((x) => x.ids)).toEqual(a.map((x) => x.ids));
  a.forEach((x, i) => {
    expect(Buffer.from(b[i].video!.buffer).equals(Buffer.from(x.video!.buffer))).toBe(true);
    expect(Buffer.from(b[i].audio!.buffer).equals(Buffer.from(x.audio!.buffer))).toBe(true);
    expect(b[i].captions).toEqual(x.captions);
  });
}

describe('expandBraces (the WebDataset shard pattern)', () => {
  test('numeric ranges keep zero padding; lists, steps, letters and several groups expand left to right', () => {
    expect(expandBraces('shards-{000..003}.tar')).toEqual(['shards-000.tar', 'shards-001.tar', 'shards-002.tar', 'shards-003.tar']);
    expect(expandBraces('x{8..11}')).toEqual(['x8', 'x9', 'x10', 'x11']);
    expect(expandBraces('{a,b}-{1..2}.tar')).toEqual(['a-1.tar', 'a-2.tar', 'b-1.tar', 'b-2.tar']);
    expect(expandBraces('s{0..10..5}')).toEqual(['s0', 's5', 's10']);
    expect(expandBraces('{x,y{1,2}}')).toEqual(['x', 'y1', 'y2']);
    expect(expandBraces('{a..c}')).toEqual(['a', 'b', 'c']);
    expect(expandBraces('https://h/p/{train,val}.tar')).toEqual(['https://h/p/train.tar', 'https://h/p/val.tar']);
    expect(expandBraces('plain{x}.tar')).toEqual(['plain{x}.tar']);
  });
});

describe('TFRecord framing and the Example protos', () => {
  test('records round-trip through any chunking; a flipped byte names the file and record offset', async () => {
    const payloads = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new TextEncoder().encode('a longer payload, 33 bytes long..')];
    const file = Buffer.concat(payloads.map(frameTfRecord));
    const chunked = (bytes: Uint8Array, size: number) =>
      Readable.from(Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)));
    for (const size of [1, 5, 1000]) {
      const got: { offset: number; data: Uint8Array }[] = [];
      for await (const r of readTfRecords(chunked(file, size), 'x.tfrecord')) got.push(r);
      expect(got.map((r) => Array.from(r.data))).toEqual(payloads.map((p) => Array.from(p)));
      expect(got.map((r) => r.offset)).toEqual([0, 19, 35]);
    }
    const damaged = Buffer.from(file);
    damaged[35 + 12 + 4] ^= 0xff;
    await expect(async () => {
      for await (const _ of readTfRecords(chunked(damaged, 7), 'bad.tfrecord'));
    }).rejects.toThrow(new TfRecordError('bad.tfrecord', 35, 'payload checksum mismatch'));
    const header = Buffer.from(file);
    header[19] ^= 0x01;
    await expect(async () => {
      for await (const _ of readTfRecords(chunked(header, 64), 'len.tfrecord'));
    }).rejects.toThrow(/len\.tfrecord: TFRecord at byte offset 19: length checksum mismatch/);
    await expect(async () => {
      for await (const _ of readTfRecords(chunked(file.subarray(0, file.length - 3), 64), 'cut.tfrecord'));
    }).rejects.toThrow(/cut\.tfrecord: TFRecord at byte offset 35: file ends inside a record/);
  });

  test('the committed .proto is the text protobufjs parses', () => {
    const file = readFileSync(fileURLToPath(new URL('../src/shards/tensorflow-example.proto', import.meta.url)), 'utf8');
    expect(TENSORFLOW_EXAMPLE_PROTO).toBe(file);
    const { SequenceExample } = exampleTypes();
    expect(Object.keys(SequenceExample.fields)).toEqual(['context', 'featureLists']);
    expect(exampleTypes().SequenceExample).toBe(SequenceExample); // looked up once, not per record
  });
});

describe('decodeClip: one ffmpeg run, no probe', () => {
  test('frames at the short side and rate asked for, the audio, and the duration ffmpeg printed', async () => {
    const clip = await decodeClip(good[0].video!, { video: { fps: 10, shortSide: 37 }, audio: { sampleRate: 8000 } });
    expect(clip.video).toMatchObject({ numFrames: 20, width: 37, height: 37, fps: 10 });
    expect(clip.video!.frames.length).toBe(20 * 37 * 37 * 3);
    expect(Math.abs(clip.audio!.length - 16000)).toBeLessThan(800);
    expect(Math.abs(clip.sourceDuration! - 2)).toBeLessThan(0.15);
    const wide = await decodeClip(media.silent, { video: { fps: 5, shortSide: 30 } });
    expect([wide.video!.width, wide.video!.height]).toEqual([40, 30]);
    const small = await decodeClip(media.silent, { video: { fps: 5, shortSide: 90, upscale: false } });
    expect([small.video!.width, small.video!.height]).toEqual([80, 60]);
    await expect(decodeClip(media.silent, { video: { fps: 5 }, audio: { sampleRate: 8000 } })).rejects.toMatchObject({ code: 'no-audio-stream' });
    await expect(decodeClip(media.corrupt, { video: { fps: 5 } })).rejects.toBeInstanceOf(MediaError);
  });
});

describe('prepareShards', () => {
  let rawDir: string;
  let rawIndex: ShardIndex;
  beforeAll(async () => {
    rawDir = join(dir, 'raw');
    rawIndex = await prepareShards(samples, { ...store, out: rawDir, frames: 'raw', shardBytes: 400_000, workers: 2 });
  });

  test('tar round trip: the frames, audio, captions and labels come back as decoded and given', async () => {
    expect(rawIndex.complete).toBe(true);
    expect(rawIndex.frames).toBe('raw');
    expect(rawIndex.totals.samples).toBe(8);
    const back = await records(await ShardSource.open(rawDir));
    expect(back.map((c) => c.meta.id).sort()).toEqual(good.map((s) => s.id).sort());
    for (const clip of back.slice(0, 3)) {
      const sample = good.find((s) => s.id === clip.meta.id)!;
      const direct = await decodeClip(sample.video!, { video: { fps: 10, shortSide: 37, upscale: false }, audio: { sampleRate: 8000 } });
      expect(Buffer.from(clip.frames!).equals(Buffer.from(direct.video!.frames))).toBe(true);
      expect(Array.from(clip.audio!)).toEqual(Array.from(direct.audio!));
      expect(clip.meta).toMatchObject({ id: sample.id, source: sample.video, captions: sample.captions, label: sample.label, split: 'train', clipStart: 0 });
      expect(clip.meta.video).toEqual({ encoding: 'raw', numFrames: 20, width: 37, height: 37, fps: 10 });
      expect(clip.meta.audio).toEqual({ sampleRate: 8000, numSamples: direct.audio!.length, channels: 1 });
      expect(clip.meta.duration).toBe(2);
    }
  });

  test('shards.json lists shards, their sizes, and every skipped sample with its reason; no temporary file is left', () => {
    const index = JSON.parse(readFileSync(join(rawDir, 'shards.json'), 'utf8')) as ShardIndex;
    expect(index).toEqual(rawIndex);
    expect(index.skipped.map((s) => [s.id, s.code]).sort()).toEqual([
      ['corrupt', 'corrupt-media'],
      ['missing', 'file-not-found'],
      ['silent', 'no-audio-stream'],
    ]);
    expect(index.skipped.find((s) => s.id === 'corrupt')!.reason).toMatch(/corrupt\.mp4/);
    expect(index.shards.length).toBeGreaterThan(2);
    for (const shard of index.shards) {
      expect(statSync(join(rawDir, shard.file)).size).toBe(shard.bytes);
      expect(shard.bytes <= 400_000 || shard.samples === 1).toBe(true);
      expect(shard.keys).toHaveLength(shard.samples);
    }
    expect(readdirSync(rawDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(expandBraces(index.pattern)).toEqual(index.shards.map((s) => s.file));
    expect(isShardFolder(rawDir)).toBe(true);
    expect(isShardFolder(join(dir, 'media'))).toBe(false);
  });

  test('JPEG frames: the same images within JPEG error, far fewer bytes', async () => {
    const out = join(dir, 'jpeg');
    const index = await prepareShards(good.slice(0, 3), { ...store, out, frames: 'jpeg', jpegChroma: '4:4:4', workers: 1 });
    const jpeg = await records(await ShardSource.open(out));
    const raw = await records(await ShardSource.open(rawDir));
    for (const clip of jpeg) {
      const twin = raw.find((r) => r.meta.id === clip.meta.id)!;
      expect(clip.meta.video!.frameBytes!.reduce((a, b) => a + b, 0)).toBe(clip.frames!.length);
      const decoded = await storedFrames(clip, [0, 5, 19]);
      const reference = await storedFrames(twin, [0, 5, 19]);
      let diff = 0;
      for (let i = 0; i < decoded.length; i++) diff += Math.abs(decoded[i] - reference[i]);
      expect(diff / decoded.length).toBeLessThan(6);
      expect(clip.frames!.length).toBeLessThan(twin.frames!.length / 2);
    }
    expect(index.frames).toBe('jpeg');
  });

  test('raw frames at consecutive indices are read in place: a view of the record, the pixels a copy has, untouched by a training clip', async () => {
    const [clip] = await records(await ShardSource.open(rawDir));
    const run = await storedFramesView(clip, [3, 4, 5, 6]);
    expect(run.buffer).toBe(clip.frames!.buffer);
    expect(Buffer.from(run).equals(Buffer.from(await storedFrames(clip, [3, 4, 5, 6])))).toBe(true);
    const gathered = await storedFramesView(clip, [3, 5, 5, 6]);
    expect(gathered.buffer).not.toBe(clip.frames!.buffer);
    expect(Buffer.from(gathered).equals(Buffer.from(await storedFrames(clip, [3, 5, 5, 6])))).toBe(true);
    // A training clip (crop, flip, colour jitter) of the same fps reads the view and leaves the record as it was.
    const before = clip.frames!.slice();
    const first = await loadStoredClip(clip, tiny, 3);
    expect(Buffer.from(clip.frames!).equals(Buffer.from(before))).toBe(true);
    const again = await loadStoredClip({ meta: clip.meta, frames: before, audio: clip.audio }, tiny, 3);
    expect(Buffer.from(again.video!.buffer).equals(Buffer.from(first.video!.buffer))).toBe(true);
  });

  test('TFRecord round trip in the DMVR layout: JPEG frames per step, one waveform feature, captions and labels in the context', async () => {
    const out = join(dir, 'tfrecord');
    const index = await prepareShards(good.slice(0, 4), { ...store, out, format: 'tfrecord', jpegChroma: '4:4:4', workers: 1 });
    expect(index.shards[0].file).toMatch(/^shard-000000\.tfrecord$/);
    const back = await records(await ShardSource.open(out));
    expect(back).toHaveLength(4);
    const tar = await records(await ShardSource.open(join(dir, 'jpeg')));
    for (const clip of back) {
      const sample = good.find((s) => s.id === clip.meta.id)!;
      expect(clip.meta).toMatchObject({ id: sample.id, captions: sample.captions, label: sample.label, split: 'train', source: sample.video });
      // Read straight into shared memory (as tar members are): the loader posts the clip to workers without a copy.
      expect(clip.frames!.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(clip.audio!.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(shareStoredClip(clip)).toBe(clip);
      const twin = tar.find((t) => t.meta.id === clip.meta.id);
      if (twin) {
        expect(Buffer.from(clip.frames!).equals(Buffer.from(twin.frames!))).toBe(true);
        expect(Array.from(clip.audio!)).toEqual(Array.from(twin.audio!));
        expect(clip.meta.video).toEqual(twin.meta.video);
      }
    }
    // The raw protobuf: DMVR's keys, as its parsers read them.
    const file = readFileSync(join(out, index.shards[0].file));
    const first = (await readTfRecords(Readable.from([file]), 'f').next()).value!.data;
    const message = exampleTypes().SequenceExample.decode(first) as unknown as {
      context: { feature: Record<string, { bytesList?: { value: Uint8Array[] }; int64List?: { value: unknown[] } }> };
      featureLists: { featureList: Record<string, { feature: { bytesList?: { value: Uint8Array[] }; floatList?: { value: number[] } }[] }> };
    };
    const images = message.featureLists.featureList['image/encoded'].feature;
    expect(images).toHaveLength(20);
    expect(images.every((f) => f.bytesList!.value.length === 1 && f.bytesList!.value[0][0] === 0xff && f.bytesList!.value[0][1] === 0xd8)).toBe(true);
    expect(message.featureLists.featureList['WAVEFORM/feature/floats'].feature).toHaveLength(1);
    const id = new TextDecoder().decode(message.context.feature['example/id'].bytesList!.value[0]);
    const sample = good.find((s) => s.id === id)!;
    const label = new TextDecoder().decode(message.context.feature['clip/label/text'].bytesList!.value[0]);
    expect(label).toBe(sample.label);
    expect(Number(message.context.feature['clip/label/index'].int64List!.value[0])).toBe(index.labels!.indexOf(label));
    expect(message.context.feature['caption/string'].bytesList!.value.map((b) => new TextDecoder().decode(b))).toEqual(
      (sample.captions as (string | { text: string })[]).map((c) => (typeof c === 'string' ? c : c.text)),
    );
  });

  test('a SequenceExample as DMVR generate_from_file.py writes it (no size, rate or vatt metadata) reads back', async () => {
    const clips = await records(await ShardSource.open(join(dir, 'jpeg')));
    // Both labels: 'tone' has an index in the map (clip/label/index and clip/label/string), 'beep' has none (string only).
    expect(new Set(clips.map((c) => c.meta.label))).toEqual(new Set(['beep', 'tone']));
    const { SequenceExample } = exampleTypes();
    for (const clip of clips) {
      const payload = encodeSequenceExample(clip, new Map([['tone', 4]]));
      const message = SequenceExample.decode(payload) as unknown as { context: { feature: Record<string, unknown> } };
      for (const key of ['vatt/sample/json', 'image/height', 'image/width', 'image/frame_rate', 'example/id', 'WAVEFORM/feature/sample_rate'])
        delete message.context.feature[key];
      expect(message.context.feature['clip/label/string']).toBeDefined();
      expect(message.context.feature['clip/label/index'] !== undefined).toBe(clip.meta.label === 'tone');
      const dmvr = await decodeSequenceExample(SequenceExample.encode(message).finish(), 'k7');
      expect(dmvr.meta).toMatchObject({ key: 'k7', id: `${clip.meta.source}@0`, video: { encoding: 'jpeg', numFrames: 20, width: 37, height: 37, fps: 10 } });
      expect(dmvr.meta.audio!.sampleRate).toBe(48000);
      expect(dmvr.meta.label).toBe(clip.meta.label);
    }
  });

  test('a damaged TFRecord shard fails naming the file and the record offset', async () => {
    const out = join(dir, 'tfrecord');
    const name = readdirSync(out).find((f) => f.endsWith('.tfrecord'))!;
    const bytes = readFileSync(join(out, name));
    const firstLength = bytes.readUInt32LE(0);
    bytes[12 + firstLength + 4 + 12 + 100] ^= 0x55; // inside the second record's payload
    const broken = join(dir, 'broken.tfrecord');
    writeFileSync(broken, bytes);
    await expect(records(await ShardSource.open(broken))).rejects.toThrow(
      `${broken}: TFRecord at byte offset ${12 + firstLength + 4}: payload checksum mismatch`,
    );
  });

  test('a prepare killed mid-shard (SIGKILL) leaves only complete shards and resumes without redoing or repeating a sample', async () => {
    const out = join(dir, 'killed');
    const samplesFile = join(dir, 'samples.json');
    writeFileSync(samplesFile, JSON.stringify(samples));
    const options = { ...store, frames: 'raw', shardBytes: 300_000, workers: 1 };
    const child = workerEntry(new URL('./no-such-file.js', import.meta.url), new URL('./helpers/prepare-child.ts', import.meta.url), import.meta.url);
    const proc = spawn(process.execPath, [child, samplesFile, out, defaultWorkerScript(), '6', JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      proc.stdout.on('data', (c: Buffer) => {
        output += c.toString();
        if (output.includes('STALL')) resolve();
      });
      proc.on('exit', (code) => reject(new Error(`prepare child exited (${code}) before stalling: ${output}`)));
    });
    proc.kill('SIGKILL');
    await new Promise((resolve) => proc.once('close', resolve));
    const left = readdirSync(out);
    expect(left.some((f) => f.endsWith('.tar.tmp'))).toBe(true);
    const complete = left.filter((f) => f.endsWith('.tar')).sort();
    expect(complete.length).toBeGreaterThan(0);
    const before = new Map(complete.map((f) => [f, statSync(join(out, f)).mtimeMs]));
    const kept = await records(await ShardSource.open(complete.map((f) => join(out, f))));
    expect(kept.length).toBeGreaterThan(0);
    // A kill between a shard's rename and the index update: the shard is complete but unlisted.
    const index = JSON.parse(readFileSync(join(out, 'shards.json'), 'utf8')) as ShardIndex;
    index.shards = index.shards.filter((s) => s.file !== complete[complete.length - 1]);
    writeFileSync(join(out, 'shards.json'), JSON.stringify(index));

    const decoded: number[] = [];
    const resumed = await prepareShards(samples, { ...store, out, frames: 'raw', shardBytes: 300_000, workers: 1, onProgress: (p) => decoded.push(p.done) });
    expect(resumed.complete).toBe(true);
    expect(decoded).toHaveLength(samples.length - kept.length - index.skipped.length);
    for (const [f, mtime] of before) expect(statSync(join(out, f)).mtimeMs).toBe(mtime);
    const all = await records(await ShardSource.open(out));
    const keys = all.map((c) => c.meta.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(all.map((c) => c.meta.id).sort()).toEqual(good.map((s) => s.id).sort());
    expect(resumed.totals).toMatchObject({ samples: 8, skipped: 3 });
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await expect(prepareShards(samples, { ...store, out, frames: 'raw', fps: 5, workers: 1 })).rejects.toThrow(/prepared with other settings/);
  });
});

describe('loading shards', () => {
  let shardDir: string;
  beforeAll(async () => {
    shardDir = join(dir, 'load');
    await prepareShards(good, { ...store, out: shardDir, frames: 'raw', shardBytes: 300_000, workers: 2 });
  });

  test('batches of the clip config, the same for a seed, another order for another seed', async () => {
    const source = await ShardSource.open(shardDir);
    expect(source.shards.length).toBe(4);
    const a = await collect(new BatchLoader(source, { batchSize: 3, clip: tiny, seed: 5, epochs: 2, workers: 1 }));
    expect(a.map((b) => b.ids.length)).toEqual([3, 3, 3, 3, 3, 1]);
    expect(a[0].videoShape).toEqual([3, 8, 32, 32, 3]);
    expect(a[0].audioShape).toEqual([3, 6400]);
    expect(
      a
        .flatMap((b) => b.ids)
        .slice(0, 8)
        .sort(),
    ).toEqual(good.map((s) => s.id).sort());
    expect(a[5].epoch).toBe(1);
    const again = await collect(new BatchLoader(source, { batchSize: 3, clip: tiny, seed: 5, epochs: 2, workers: 0 }));
    same(a, again);
    const other = await collect(new BatchLoader(source, { batchSize: 3, clip: tiny, seed: 6, epochs: 2, workers: 1 }));
    expect(other.flatMap((b) => b.ids)).not.toEqual(a.flatMap((b) => b.ids));
    const [v] = a;
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of v.video!) [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
  });

  test('reuseBatchArrays: the same batches when each is copied out at once, written into the arrays of the batch before the last', async () => {
    const source = await ShardSource.open(shardDir);
    const options = { batchSize: 2, clip: tiny, seed: 5, epochs: 3, workers: 1 };
    const fresh = await collect(new BatchLoader(source, options));
    const copies: Batch[] = [];
    const arrays: Float32Array[] = [];
    for await (const b of new BatchLoader(source, { ...options, reuseBatchArrays: true })) {
      arrays.push(b.video!);
      copies.push({ ...b, video: b.video!.slice(), audio: b.audio!.slice() });
    }
    // Three epochs over 8 records: the shard records' buffers went back to the pool and held later records.
    expect(fresh.length).toBe(12);
    same(fresh, copies);
    expect(arrays[2]).toBe(arrays[0]);
    expect(arrays[3]).toBe(arrays[1]);
    expect(arrays[1]).not.toBe(arrays[0]);
  });

  test('SharedBufferPool: a buffer it handed out and got back is taken again for its size only, once, within the budget', () => {
    const pool = new SharedBufferPool(100);
    const a = pool.take(40);
    pool.give(a);
    pool.give(a);
    expect(pool.take(30)).not.toBe(a);
    expect(pool.take(40)).toBe(a);
    expect(pool.take(40)).not.toBe(a);
    // The pool holds nothing now; 60 + 60 bytes given back is over its 100: the second is dropped.
    const [b, c] = [pool.take(60), pool.take(60)];
    pool.give(b);
    pool.give(c);
    expect(pool.take(60)).toBe(b);
    const next = pool.take(60);
    expect(next).not.toBe(b);
    expect(next).not.toBe(c);
    // A buffer the pool did not hand out (a JPEG record's, say: sizes that never recur) is not kept.
    const foreign = new SharedArrayBuffer(40);
    pool.give(foreign);
    expect(pool.take(40)).not.toBe(foreign);
  });

  test('a cursor taken after any batch resumes exactly: same records, shuffle buffer, augmentation', async () => {
    const source = await ShardSource.open(shardDir);
    const options = { batchSize: 3, clip: tiny, seed: 9, epochs: 3, workers: 1, shuffleBuffer: 4 };
    const loader = new BatchLoader(source, options);
    const whole: Batch[] = [];
    const cursors: ReturnType<BatchLoader['cursor']>[] = [];
    for await (const b of loader) {
      whole.push(b);
      cursors.push(JSON.parse(JSON.stringify(loader.cursor())));
    }
    expect(whole).toHaveLength(8);
    for (const k of [0, 1, 4]) {
      const cursor = cursors[k];
      expect(cursor).toMatchObject({ kind: 'shards', batches: k + 1 });
      const resumed = await collect(new BatchLoader(await ShardSource.open(shardDir), { ...options, cursor }));
      same(whole.slice(k + 1), resumed);
    }
    await expect(collect(new BatchLoader(source, { ...options, seed: 1, cursor: cursors[0] }))).rejects.toThrow(/seed/);
  });

  test('shards from a folder, a list or a brace pattern are the same source', async () => {
    const fromFolder = await ShardSource.open(shardDir);
    const fromPattern = await ShardSource.open(join(shardDir, 'shard-{000000..000003}.tar'));
    const fromList = await ShardSource.open([join(shardDir, 'shard-00000{0,1}.tar'), join(shardDir, 'shard-00000{2,3}.tar')]);
    const fromIndex = await ShardSource.open(join(shardDir, 'shards.json'));
    expect(fromPattern.shards).toEqual(fromFolder.shards);
    expect(fromList.shards).toEqual(fromFolder.shards);
    expect(fromIndex.shards).toEqual(fromFolder.shards);
    expect(fromFolder.sampleCount).toBe(8);
    expect(fromPattern.format).toBe('tar');
  });

  test('shards stream over http from a server on 127.0.0.1, as the same batches', async () => {
    let requests = 0;
    const server = createServer((req, res) => {
      requests++;
      const file = join(shardDir, decodeURIComponent(new URL(req.url!, 'http://x').pathname.slice(1)));
      if (!existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      // Small writes: the tar arrives in many chunks, as over a real network.
      const data = readFileSync(file);
      let at = 0;
      const pump = () => {
        while (at < data.length) {
          const ok = res.write(data.subarray(at, at + 7_000));
          at += 7_000;
          if (!ok) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const options = { batchSize: 4, clip: tiny, seed: 2, workers: 1 };
      const local = await collect(new BatchLoader(await ShardSource.open(shardDir), options));
      const byPattern = await ShardSource.open(`${base}/shard-{000000..000003}.tar`);
      same(local, await collect(new BatchLoader(byPattern, options)));
      const byIndex = await ShardSource.open(`${base}/shards.json`);
      expect(byIndex.shards[0]).toBe(`${base}/shard-000000.tar`);
      same(local, await collect(new BatchLoader(byIndex, options)));
      expect(requests).toBeGreaterThanOrEqual(9);
      const missing = await ShardSource.open(`${base}/shard-000099.tar`);
      await expect(records(missing)).rejects.toThrow(/shard-000099\.tar answered 404/);
    } finally {
      server.close();
    }
  });

  test('stored frames get the same crop geometry as decoded ones: an eval clip from a shard matches loadClip', async () => {
    // Shards stored at exactly minResize, so both paths resample the same pixels once.
    const out = join(dir, 'eval');
    // Windows inside [0, 1.6] s: both paths see the same range (the container's 2.08 s is longer than the frames' 2 s).
    const clipped = good.slice(0, 2).map((s) => ({ ...s, start: 0, end: 1.6 }));
    await prepareShards(clipped, { out, shortSide: 32, fps: 10, sampleRate: 8000, frames: 'raw', upscale: true, workers: 1 });
    const config: ClipConfig = { mode: 'eval', video: { numFrames: 8, fps: 10, size: 32 }, audio: { sampleRate: 8000, numSamples: 6400 } };
    for (const clip of await records(await ShardSource.open(out))) {
      const fromShard = await loadStoredClip(clip, config, 0);
      const direct = await loadClip(
        clipped.find((s) => s.id === clip.meta.id)!,
        config,
        0,
      );
      expect(fromShard.windows).toEqual(direct.windows);
      let diff = 0;
      for (let i = 0; i < direct.video!.length; i++) diff += Math.abs(direct.video![i] - fromShard.video![i]);
      expect(diff / direct.video!.length).toBeLessThan(0.02);
      expect(fromShard.captions).toEqual(direct.captions);
      expect(fromShard.label).toBe(direct.label);
    }
  });
});
