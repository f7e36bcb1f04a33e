/**
 * A corpus of bad inputs, made here (nothing downloaded), run through the public entry points a user meets:
 * the `vatt` CLI (pretrain, eval, embed, info, inspect, import), the dataset readers and `loadVatt`. Each
 * entry states the outcome the user gets: a clear error that names the input and what was expected
 * (exit code 1, one `vatt: ...` line, no stack trace), or a skip that is counted and reported. None may
 * crash, hang (every run has a time limit) or give a silent wrong result.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createServer } from 'node:net';
import { requireBuiltCli, runVatt } from '@vatt-testing/cli';
import { makeClips } from '@vatt-testing/clips';
import { IMAGEIO_MEDIA, SONIC_SAMPLES } from '@vatt-testing/media';
import { rewriteShards, truncateFrames } from '@vatt-testing/shards';
import { loadVocabulary } from '@vatt/tokenizers';
import { openDataset, readManifest } from '@vatt/data';

const MEDIA = IMAGEIO_MEDIA;
const SONIC = SONIC_SAMPLES;
let tmp: string;
let run: string; // a trained tiny checkpoint run directory
const outcomes: string[] = [];

const vatt = (args: string[], timeout = 120_000) => runVatt(args, { timeout, env: { NODE_OPTIONS: '' } });

function ffmpeg(args: string[]): void {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-y', ...args]);
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr}`);
}

/**
 * A CLI run that must end with a clear error: exit 1, one `vatt:` message matching `expected`, no stack trace.
 * `record: false` checks another entry point on an input already in the corpus without counting it again.
 */
function expectCleanError(entry: string, args: string[], expected: RegExp, { record = true } = {}): void {
  const r = vatt(args);
  const lines = r.err.trim().split('\n');
  const outcome = {
    entry,
    signal: r.signal,
    code: r.code,
    stackTrace: /\n\s+at .+:\d+:\d+/.test(r.err),
    message: expected.test(r.err) ? 'as expected' : r.err,
  };
  expect(outcome).toEqual({ entry, signal: null, code: 1, stackTrace: false, message: 'as expected' });
  expect(lines[0]).toMatch(/^vatt: /);
  if (record) outcomes.push(`${entry}: error: ${lines[0].slice(6, 150)}`);
}

beforeAll(() => {
  requireBuiltCli();
  expect(existsSync(`${MEDIA}/realshort.mp4`)).toBe(true); // Debian python3-imageio (.ci/run installs it)
  expect(existsSync(SONIC)).toBe(true); // Debian sonic-pi-samples
  tmp = mkdtempSync(path.join(os.tmpdir(), 'vatt-bad-'));
  run = path.join(tmp, 'run');
  const r = vatt(['pretrain', '--steps', '2', '--batch', '4', '--out', run, '--backend', 'wasm', '--quiet']);
  if (r.code !== 0) throw new Error(`training the corpus checkpoint failed: ${r.err}`);
}, 180_000);
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  console.log(`bad-input corpus: ${outcomes.length} entries\n${outcomes.map((o) => `  ${o}`).join('\n')}`);
});

describe('media files', () => {
  const files: Array<{ entry: string; name: string; make: (file: string) => void; outcome: RegExp | 'used' }> = [
    {
      entry: 'truncated mp4',
      name: 'trunc.mp4',
      make: (f) => writeFileSync(f, readFileSync(`${MEDIA}/cockatoo.mp4`).subarray(0, 3000)),
      outcome: /corrupt-media/,
    },
    {
      entry: 'corrupt mp4 (random bytes)',
      name: 'random.mp4',
      make: (f) => writeFileSync(f, Buffer.from(Array.from({ length: 20000 }, (_, i) => (i * 7919) % 251))),
      outcome: /corrupt-media/,
    },
    { entry: 'zero-byte file', name: 'empty.mp4', make: (f) => writeFileSync(f, ''), outcome: /corrupt-media/ },
    { entry: 'wrong extension (text named .mp4)', name: 'text.mp4', make: (f) => writeFileSync(f, 'hello\n'), outcome: /corrupt-media/ },
    { entry: 'media without a video stream', name: 'audio.flac', make: (f) => copyFileSync(`${SONIC}/ambi_choir.flac`, f), outcome: /no-video-stream/ },
    {
      entry: 'media without an audio stream',
      name: 'silent.mp4',
      make: (f) => ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=10', '-t', '1', '-an', f]),
      outcome: /no-audio-stream/,
    },
    { entry: 'a missing file', name: 'missing.mp4', make: () => {}, outcome: /file-not-found/ },
    {
      entry: 'a clip shorter than one frame',
      name: 'short.mp4',
      make: (f) => ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=10', '-f', 'lavfi', '-i', 'sine', '-t', '0.05', '-pix_fmt', 'yuv420p', f]),
      outcome: 'used',
    },
    {
      entry: 'an absurd resolution (4096x16)',
      name: 'wide.mp4',
      make: (f) => ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=4096x16:rate=10', '-f', 'lavfi', '-i', 'sine', '-t', '1', '-pix_fmt', 'yuv420p', f]),
      outcome: 'used',
    },
    {
      entry: 'a tiny resolution (8x8)',
      name: 'tiny.mp4',
      make: (f) => ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=8x8:rate=10', '-f', 'lavfi', '-i', 'sine', '-t', '1', '-pix_fmt', 'yuv420p', f]),
      outcome: 'used',
    },
  ];

  test.each(['pretrain', 'eval retrieval'])(
    '%s --data skips every bad file with its reason, counts them, and goes on',
    (command) => {
      const dir = path.join(tmp, 'media');
      mkdirSync(dir, { recursive: true });
      for (const f of files) if (!existsSync(path.join(dir, f.name))) f.make(path.join(dir, f.name));
      const good = [`${MEDIA}/realshort.mp4`, `${MEDIA}/cockatoo.mp4`].map((video, i) => ({ video, captions: [`good clip ${i}`] }));
      const lines = [...good, ...files.map((f) => ({ video: f.name, captions: [f.entry] })), ...good];
      writeFileSync(path.join(dir, 'data.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n'));
      const args =
        command === 'pretrain'
          ? [
              'pretrain',
              '--data',
              path.join(dir, 'data.jsonl'),
              '--steps',
              '2',
              '--batch',
              '2',
              '--out',
              path.join(dir, 'run'),
              '--overwrite',
              '--backend',
              'wasm',
            ]
          : ['eval', 'retrieval', run, '--data', path.join(dir, 'data.jsonl'), '--backend', 'wasm'];
      const r = vatt(args);
      expect({ code: r.code, stackTrace: /\n\s+at .+:\d+:\d+/.test(r.err) }).toEqual({ code: 0, stackTrace: false });
      const bad = files.filter((f) => f.outcome !== 'used');
      // Evaluation decodes every sample; training meets the samples its batches draw (a skipped one is back-filled).
      const met = (f: (typeof files)[number]) => command !== 'pretrain' || r.err.includes(`skipped sample ${f.name}:`);
      for (const f of files) {
        const line = r.err.split('\n').find((l) => l.startsWith(`skipped sample ${f.name}:`));
        if (f.outcome === 'used') expect({ entry: f.entry, skipped: line }).toEqual({ entry: f.entry, skipped: undefined });
        else if (met(f)) expect({ entry: f.entry, reason: line && (f.outcome as RegExp).test(line) }).toEqual({ entry: f.entry, reason: true });
        if (command !== 'pretrain')
          outcomes.push(`${f.entry}: ${f.outcome === 'used' ? 'used (decoded and resized to the model input)' : `skipped, reported: ${line?.slice(15, 140)}`}`);
      }
      if (command === 'pretrain') expect(r.out).toMatch(new RegExp(`\\b${bad.filter(met).length} bad samples skipped`));
      else expect(r.out).toMatch(new RegExp(`${lines.length - bad.length} clips \\(${bad.length} skipped\\)`));
    },
    180_000,
  );
});

describe('dataset files', () => {
  test('JSONL manifests with bad lines name the file and line', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['a line that is not JSON', '{"video": "a.mp4"}\n{oops\n', /bad\.jsonl:2: invalid JSON/],
      ['a line without a media path', '{"captions": ["x"]}\n', /bad\.jsonl:1: expected a "video" or "audio" path/],
      ['captions that are not a list', '{"video": "a.mp4", "captions": "x"}\n', /bad\.jsonl:1: "captions" must be a list/],
    ];
    for (const [entry, text, expected] of cases) {
      const file = path.join(tmp, 'bad.jsonl');
      writeFileSync(file, text);
      await expect(readManifest(file)).rejects.toThrow(expected);
      expectCleanError(`JSONL manifest: ${entry}`, ['pretrain', '--data', file, '--out', path.join(tmp, 'x'), '--steps', '1'], expected);
    }
  });

  test('CSVs with missing columns name the file and the column', async () => {
    const kin = path.join(tmp, 'kinetics');
    mkdirSync(kin, { recursive: true });
    writeFileSync(path.join(kin, 'train.csv'), 'youtube_id,time_start,time_end,split\nabc,0,10,train\n');
    writeFileSync(path.join(kin, 'validate.csv'), 'label,youtube_id,time_start,time_end,split\nx,abc,0,10,validate\n');
    await expect(openDataset(kin)).rejects.toThrow(/train\.csv.*label/);
    expectCleanError('Kinetics CSV without a label column', ['eval', 'linear', run, '--data', kin], /train\.csv.*label/);
    const esc = path.join(tmp, 'esc');
    mkdirSync(path.join(esc, 'meta'), { recursive: true });
    writeFileSync(path.join(esc, 'meta', 'esc50.csv'), 'filename,target,category\n1-1-A-0.wav,0,dog\n');
    expectCleanError('ESC-50 CSV without a fold column', ['eval', 'linear', run, '--data', esc], /esc50\.csv.*fold/);
    const out = path.join(tmp, 'kinetics-out');
    mkdirSync(out, { recursive: true });
    for (const split of ['train', 'validate']) {
      writeFileSync(path.join(out, `${split}.csv`), `label,youtube_id,time_start,time_end,split\n../../..,abc,0,10,${split}\n`);
    }
    expectCleanError(
      'Kinetics CSV naming media outside the dataset',
      ['eval', 'linear', run, '--data', out],
      /train\.csv:2: .*leads outside the dataset folder/,
    );
  });

  test('vocabulary files with duplicates or upper case name the line', async () => {
    const file = path.join(tmp, 'vocab.txt');
    writeFileSync(file, '<pad>\n<bos>\n<eos>\n<unk>\ndog\ndog\n');
    await expect(loadVocabulary(file)).rejects.toThrow(/vocab\.txt.*word "dog" appears twice \(ids 4 and 5\)/);
    writeFileSync(file, '<pad>\n<bos>\n<eos>\n<unk>\nDog\n');
    await expect(loadVocabulary(file)).rejects.toThrow(/vocab\.txt.*word 4 "Dog" is not lowercase/);
    outcomes.push('vocabulary with a duplicate: error naming the line; with upper case: error naming the line');
  });
});

describe('experiment configs', () => {
  test.each([
    ['a wrong field', { model: { video: { numLayer: 2 } } }, /model\.video\.numLayer: unknown field/],
    ['a wrong type', { training: { steps: 'many' } }, /training\.steps: Invalid input: expected number, received string/],
    ['input the patches do not divide', { preprocessing: { video: { height: 30 } } }, /preprocessing\.video\.height: 30 is not a multiple of/],
  ])('a config with %s names the field', (entry, change, expected) => {
    const printed = JSON.parse(vatt(['config', 'tiny']).out);
    const merge = (a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> =>
      Object.fromEntries(
        [...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [
          k,
          typeof b[k] === 'object' && b[k] && typeof a[k] === 'object'
            ? merge(a[k] as Record<string, unknown>, b[k] as Record<string, unknown>)
            : (b[k] ?? a[k]),
        ]),
      );
    const file = path.join(tmp, 'cfg.json');
    writeFileSync(file, JSON.stringify(merge(printed, change)));
    expectCleanError(`config with ${entry}`, ['pretrain', '--config', file, '--out', path.join(tmp, 'cfg-run')], expected);
  });

  test('a config that is not JSON, and one that does not exist', () => {
    const file = path.join(tmp, 'broken.json');
    writeFileSync(file, '{ "model": ');
    expectCleanError('config that is not JSON', ['pretrain', '--config', file, '--out', path.join(tmp, 'cfg-run')], /--config .*broken\.json: not valid JSON/);
    expectCleanError(
      'config file missing',
      ['pretrain', '--config', path.join(tmp, 'nope.json'), '--out', path.join(tmp, 'cfg-run')],
      /--config .*nope\.json: ENOENT/,
    );
  });
});

describe('ONNX folders, tampered', () => {
  let onnx: string;
  beforeAll(() => {
    onnx = path.join(tmp, 'onnx');
    const r = vatt(['export', 'onnx', run, '--out', onnx, '--towers', 'text']);
    if (r.code !== 0) throw new Error(`exporting the corpus ONNX folder failed: ${r.err}`);
  }, 120_000);

  /** A copy of the exported folder whose manifest.json is `edit`ed (a string replaces it). */
  function tampered(name: string, edit: (m: { format: string; towers: Record<string, { file: string }> }) => unknown): string {
    const dir = path.join(tmp, 'onnx-tampered', name);
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(onnx)) copyFileSync(path.join(onnx, f), path.join(dir, f));
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    const edited = edit(manifest);
    writeFileSync(path.join(dir, 'manifest.json'), typeof edited === 'string' ? edited : JSON.stringify(manifest));
    return dir;
  }

  test.each([
    [
      'a tower file leading out of the folder',
      (m: { towers: Record<string, { file: string }> }) => {
        m.towers.text.file = '../text.onnx';
      },
      /tower files must be plain names/,
    ],
    ['manifest.json not JSON', () => '{"format": "vatt-onnx', /manifest\.json is not valid JSON/],
    [
      'manifest.json of another format',
      (m: { format: string }) => {
        m.format = 'something-else';
      },
      /format is "something-else"/,
    ],
  ])('%s', (entry, edit, expected) => {
    const dir = tampered(entry.replace(/\W+/g, '-'), edit as never);
    expectCleanError(`ONNX folder: ${entry}`, ['embed', dir, '--engine', 'onnx', '--text', 'a dog barks', '--out', path.join(tmp, 'onnx-out.json')], expected);
  });
});

describe('project checkpoints, tampered', () => {
  /** A copy of the run's newest checkpoint to tamper with, and its model.json and shard. */
  function copy(name: string) {
    const src = path.join(run, 'checkpoints', readdirSync(path.join(run, 'checkpoints')).sort().pop()!);
    const dst = path.join(tmp, 'tampered', name);
    mkdirSync(dst, { recursive: true });
    for (const f of readdirSync(src)) copyFileSync(path.join(src, f), path.join(dst, f));
    const json = JSON.parse(readFileSync(path.join(dst, 'model.json'), 'utf8'));
    return {
      dir: dst,
      json,
      shard: path.join(dst, json.weightsManifest[0].paths[0]),
      write: (j: unknown) => writeFileSync(path.join(dst, 'model.json'), JSON.stringify(j)),
    };
  }

  test.each([
    [
      'size mismatch (a truncated shard)',
      (c: ReturnType<typeof copy>) => truncateSync(c.shard, 1000),
      /holds \d+ weight bytes, model\.json says \d+ \(truncated shard\?\)|needs bytes .* but the shards hold/,
    ],
    [
      'path traversal in the shard list',
      (c: ReturnType<typeof copy>) => c.write({ ...c.json, weightsManifest: [{ ...c.json.weightsManifest[0], paths: ['../outside.bin'] }] }),
      /a shard must be a file name inside the checkpoint directory/,
    ],
    [
      'a wrong dtype',
      (c: ReturnType<typeof copy>) => {
        const [first, ...rest] = c.json.weightsManifest[0].weights;
        c.write({ ...c.json, weightsManifest: [{ ...c.json.weightsManifest[0], weights: [{ ...first, dtype: 'complex64' }, ...rest] }] });
      },
      /has dtype "complex64", expected float32, int32, bool/,
    ],
    [
      'NaN weights',
      (c: ReturnType<typeof copy>) => {
        const bytes = readFileSync(c.shard);
        new DataView(bytes.buffer, bytes.byteOffset).setFloat32(8, NaN, true);
        writeFileSync(c.shard, bytes);
      },
      /holds NaN at element 2: the checkpoint is damaged/,
    ],
    ['a missing shard', (c: ReturnType<typeof copy>) => rmSync(c.shard), /missing weight shard .* listed in .*model\.json/],
    ['model.json that is not JSON', (c: ReturnType<typeof copy>) => writeFileSync(path.join(c.dir, 'model.json'), '{'), /model\.json is not valid JSON/],
    [
      'a model config that does not take its preprocessing',
      (c: ReturnType<typeof copy>) =>
        c.write({
          ...c.json,
          userDefinedMetadata: {
            ...c.json.userDefinedMetadata,
            preprocessing: { ...c.json.userDefinedMetadata.preprocessing, video: { ...c.json.userDefinedMetadata.preprocessing.video, height: 64 } },
          },
        }),
      /the model and its preprocessing disagree:\n\s+model video\.input\.height = 32 but preprocessing\.video\.height = 64/,
    ],
  ])('a checkpoint with %s is refused by info, eval and embed with the reason', (entry, tamper, expected) => {
    const c = copy(entry.replace(/\W+/g, '-'));
    tamper(c);
    expectCleanError(`checkpoint: ${entry} (vatt info)`, ['info', c.dir], expected);
    expectCleanError(`checkpoint: ${entry} (vatt eval retrieval)`, ['eval', 'retrieval', c.dir, '--backend', 'wasm'], expected, { record: false });
    expectCleanError(
      `checkpoint: ${entry} (vatt embed)`,
      ['embed', c.dir, '--text', 'a dog', '--out', path.join(tmp, 'e.json'), '--backend', 'wasm'],
      expected,
      { record: false },
    );
  });

  test('a path that holds no checkpoint says what it expected', () => {
    expectCleanError(
      'not a checkpoint directory',
      ['info', tmp],
      /no checkpoint at .* \(expected a directory with model\.json, or a run directory with checkpoints\/\)/,
    );
  });
});

describe('TensorFlow checkpoints, damaged', () => {
  let prefix: string;
  beforeAll(() => {
    prefix = path.join(tmp, 'tf', 'ckpt-2');
    const r = vatt(['export', 'tf', run, prefix]);
    if (r.code !== 0) throw new Error(`export tf failed: ${r.err}`);
  });

  /** A copy of the exported checkpoint (index, data, vocabulary) under `name`. */
  function copyTf(name: string): string {
    const dir = path.join(tmp, 'tf-bad', name);
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(path.dirname(prefix))) copyFileSync(path.join(path.dirname(prefix), f), path.join(dir, f));
    return path.join(dir, 'ckpt-2');
  }

  test.each([
    [
      'a flipped byte in the data shard',
      (p: string) => {
        const file = `${p}.data-00000-of-00001`;
        const bytes = readFileSync(file);
        bytes[1000] ^= 0xff;
        writeFileSync(file, bytes);
      },
      /CRC|checksum/i,
    ],
    ['a truncated data shard', (p: string) => truncateSync(`${p}.data-00000-of-00001`, 100_000), /truncated|needs bytes|shorter|ends at/i],
    [
      'a flipped byte in the index',
      (p: string) => {
        const file = `${p}.index`;
        const bytes = readFileSync(file);
        bytes[200] ^= 0xff;
        writeFileSync(file, bytes);
      },
      /CRC|checksum|corrupt/i,
    ],
  ])('%s: import tf and inspect tf refuse it, naming the file, and write nothing', (entry, damage, expected) => {
    const p = copyTf(entry.replace(/\W+/g, '-'));
    damage(p);
    const out = path.join(tmp, 'tf-out', entry.replace(/\W+/g, '-'));
    expectCleanError(`TF checkpoint: ${entry} (vatt import tf)`, ['import', 'tf', p, '--preset', 'tiny', '--out', out], expected);
    expect(existsSync(out)).toBe(false);
    // inspect reads the index and the object graph, not every tensor: a damaged tensor is import's to find.
    const inspect = vatt(['inspect', 'tf', p]);
    if (entry === 'a flipped byte in the data shard') expect(inspect.code).toBe(0);
    else expect(inspect.err).toMatch(expected);
  });

  test('a wrong --preset names the variable and the shape it expected', () => {
    expectCleanError(
      'TF checkpoint: a wrong --preset (vatt import tf)',
      ['import', 'tf', prefix, '--preset', 'bbs', '--out', path.join(tmp, 'tf-out', 'bbs')],
      // The tiny checkpoint's text embedding against BBS's (vocabulary 65536, width 300), as the error lists it.
      new RegExp(
        String.raw`does not fit preset bbs \(\d+ missing, \d+ of another shape\):\n(?:.*\n)* {2}` +
          String.raw`model/layer_with_weights-0/_base_layer/txt_backbone/embedding/embeddings \(our text/embedding/embeddings\) ` +
          String.raw`is float32 \[512, 32\], expected float32 \[65536, 300\]\n`,
      ),
    );
  });
});

describe('prepared shards, damaged or mismatched', () => {
  let shards: string;
  const train = (data: string, extra: string[] = []) => [
    'pretrain',
    '--data',
    data,
    '--steps',
    '2',
    '--batch',
    '4',
    '--out',
    path.join(tmp, 'shard-runs', String(Math.random())),
    '--backend',
    'wasm',
    '--quiet',
    ...extra,
  ];
  beforeAll(() => {
    const files = makeClips(path.join(tmp, 'shard-media'), 6, { size: 64, seconds: 1 });
    const manifest = path.join(tmp, 'shard-clips.jsonl');
    writeFileSync(manifest, files.map((f, i) => JSON.stringify({ id: `c${i}`, video: f, captions: [`clip ${i}`] })).join('\n'));
    shards = path.join(tmp, 'shards');
    const r = vatt(['prepare', manifest, '--out', shards, '--shard-size', '0.1', '--quiet']);
    if (r.code !== 0) throw new Error(`vatt prepare failed: ${r.err}`);
  }, 120_000);

  test('vatt prepare of a source whose every sample is unreadable says none could be stored, and why', () => {
    const manifest = path.join(tmp, 'all-bad.jsonl');
    writeFileSync(path.join(tmp, 'bad1.mp4'), 'not a video');
    writeFileSync(
      manifest,
      `${JSON.stringify({ id: 'a', video: path.join(tmp, 'bad1.mp4') })}\n${JSON.stringify({ id: 'b', video: path.join(tmp, 'missing.mp4') })}\n`,
    );
    expectCleanError(
      'shards: prepare with every sample unreadable',
      ['prepare', manifest, '--out', path.join(tmp, 'all-bad'), '--quiet'],
      /none of the 2 samples could be stored \(1 corrupt-media, 1 file-not-found; each reason is in .*shards\.json/,
    );
  });

  test('a truncated shard: the error names the file', () => {
    const dir = path.join(tmp, 'shards-truncated');
    mkdirSync(dir);
    for (const f of readdirSync(shards)) copyFileSync(path.join(shards, f), path.join(dir, f));
    truncateSync(path.join(dir, 'shard-000001.tar'), 20_000);
    expectCleanError('shards: a truncated tar shard (vatt pretrain)', train(dir, ['--steps', '4']), /shard-000001\.tar: .*truncated or damaged shard/);
  });

  test('a brace pattern naming shards that are not there lists them', () => {
    expectCleanError(
      'shards: a brace pattern past the last shard',
      train(`${shards}/shard-{000000..000099}.tar`),
      /of the 100 shards do not exist: .*shard-0000\d\d\.tar/,
    );
  });

  test('an http shard that cannot be fetched names the URL', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    expectCleanError(
      'shards: an http shard on a closed port',
      train(`http://127.0.0.1:${port}/shard-000000.tar`),
      new RegExp(`GET http://127.0.0.1:${port}/shard-000000.tar failed: .*ECONNREFUSED`),
    );
  });

  test('shards.json that is not JSON, or names a shard outside its folder', () => {
    const dir = path.join(tmp, 'shards-bad-index');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'shards.json'), '{"version": 1, "shards": [');
    expectCleanError('shards: shards.json that is not JSON', train(dir), /shards\.json is not JSON/);
    writeFileSync(path.join(dir, 'shards.json'), JSON.stringify({ version: 1, format: 'tar', shards: [{ file: '../shards/shard-000000.tar' }] }));
    expectCleanError(
      'shards: shards.json naming ../ (outside its folder)',
      train(dir),
      /names the shard "\.\.\/shards\/shard-000000\.tar": shards must be plain file names/,
    );
  });

  test('shards prepared at another audio rate than the model are refused up front, saying how to prepare them', () => {
    expectCleanError(
      'shards: audio rate differs from the model (vatt pretrain --set)',
      train(shards, ['--set', 'preprocessing.audio.sampleRate=8000', '--set', 'preprocessing.audio.samples=6400']),
      /hold audio at 5120 Hz, the clip config asks for 8000 Hz: prepare them again .*--sample-rate 8000/,
    );
  });

  test('shards whose every record is damaged end the run with an error instead of waiting forever', async () => {
    const dir = path.join(tmp, 'shards-all-damaged');
    await rewriteShards(shards, dir, truncateFrames);
    expectCleanError('shards: every record damaged (vatt pretrain)', train(dir), /all 6 samples of an epoch were skipped.*frames are truncated/);
  });
});
