import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { expandBraces } from './braces.js';
import type { FrameEncoding } from './stored.js';
import type { StoredClip } from './stored.js';
import { readTarShard } from './tar.js';
import { decodeSequenceExample, readTfRecords } from './tfrecord.js';

/** The file `prepareShards` writes next to its shards, and that `ShardSource` looks for in a folder. */
export const SHARD_INDEX_FILE = 'shards.json';

export type ShardFormat = 'tar' | 'tfrecord';

/** One finished shard in the index. */
export interface ShardEntry {
  /** File name, relative to the index. */
  file: string;
  samples: number;
  bytes: number;
  /** Keys of its samples, in order (their positions in the prepared list). */
  keys: string[];
}

/** A sample prepare could not store, and why. */
export interface SkippedRecord {
  key: string;
  id: string;
  /** MediaError code ('corrupt-media', 'no-audio-stream', 'timeout', ...), 'too-short' or 'error'. */
  code: string;
  reason: string;
}

/** `shards.json`: what a (possibly still running or interrupted) prepare has written. */
export interface ShardIndex {
  version: 1;
  format: ShardFormat;
  frames: FrameEncoding;
  settings: {
    video: boolean;
    audio: boolean;
    fps: number;
    shortSide?: number;
    upscale: boolean;
    sampleRate: number;
    jpegQuality: number;
    jpegChroma: '4:2:0' | '4:4:4';
    maxSeconds?: number;
    minSeconds: number;
  };
  seed: number;
  shuffled: boolean;
  /** Samples given to prepare, and a hash of their ids in order: a resume checks it is given the same list. */
  inputSamples: number;
  fingerprint: string;
  /** String labels in `clip/label/index` order (TFRecord), when the samples have any. */
  labels?: string[];
  /** True once every sample is either in a shard or skipped. */
  complete: boolean;
  /** The shard files as a WebDataset brace pattern. */
  pattern: string;
  shards: ShardEntry[];
  skipped: SkippedRecord[];
  totals: { samples: number; bytes: number; skipped: number };
}

function isUrl(spec: string): boolean {
  return /^https?:\/\//i.test(spec);
}

function formatOf(name: string): ShardFormat | undefined {
  if (/\.tar$/i.test(name)) return 'tar';
  if (/\.tfrecords?$/i.test(name) || /-of-\d+$/.test(name)) return 'tfrecord';
  return undefined;
}

/** GET `url`; a network failure or an error status names the URL (fetch itself says only "fetch failed"). */
async function get(url: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause;
    throw new Error(`ShardSource: GET ${url} failed: ${cause?.message ?? (error as Error).message}`, { cause: error });
  }
  if (!response.ok || !response.body) throw new Error(`ShardSource: GET ${url} answered ${response.status} ${response.statusText}`);
  return response;
}

/** Opens a shard for reading: a local file, or an http(s) URL streamed with fetch. */
async function openShard(location: string): Promise<Readable> {
  if (!isUrl(location)) {
    if (!existsSync(location)) throw new Error(`ShardSource: shard ${location} does not exist`);
    return createReadStream(location, { highWaterMark: 1 << 20 });
  }
  const response = await get(location);
  return Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
}

/** A shard file name from an index: a plain name in the index's folder, never a path that leads out of it. */
function checkShardFile(file: unknown, location: string): string {
  if (typeof file !== 'string' || file === '' || file === '.' || file === '..' || /[/\\]/.test(file) || /^[a-z]+:/i.test(file)) {
    throw new Error(`ShardSource: ${location} names the shard ${JSON.stringify(file)}: shards must be plain file names beside the index`);
  }
  return file;
}

async function readIndex(location: string): Promise<ShardIndex> {
  const text = isUrl(location) ? await (await get(location)).text() : readFileSync(location, 'utf8');
  let index: ShardIndex;
  try {
    index = JSON.parse(text) as ShardIndex;
  } catch (error) {
    throw new Error(`ShardSource: ${location} is not JSON (${(error as Error).message})`, { cause: error });
  }
  if (index?.version !== 1 || !Array.isArray(index.shards)) throw new Error(`ShardSource: ${location} is not a shard index (version 1)`);
  for (const s of index.shards) checkShardFile(s?.file, location);
  return index;
}

/** The location of `file` next to an index at `indexLocation`. */
function sibling(indexLocation: string, file: string): string {
  return isUrl(indexLocation) ? new URL(file, indexLocation).href : join(dirname(indexLocation), file);
}

/** Media and annotation files: a folder holding any is a dataset, even with an archive lying next to it. */
const DATASET_FILE = /\.(mp4|mkv|webm|avi|mov|m4v|wav|flac|mp3|ogg|m4a|csv|jsonl|txt)$/i;

/**
 * True when `path` is a folder of prepared shards: it holds `shards.json` (what `prepareShards` writes), or
 * shard files (`*.tar`, `*.tfrecord`, `*-of-NNNNN`) and no media or annotation files. What a CLI's `--data DIR`
 * checks before treating DIR as a media dataset.
 *
 * @example
 * if (isShardFolder(args.data)) loader = new BatchLoader(await ShardSource.open(args.data), options);
 */
export function isShardFolder(path: string): boolean {
  try {
    if (!statSync(path).isDirectory()) return false;
    if (existsSync(join(path, SHARD_INDEX_FILE))) return true;
    const files = readdirSync(path);
    return files.some((f) => formatOf(f) !== undefined) && !files.some((f) => DATASET_FILE.test(f));
  } catch {
    return false;
  }
}

/**
 * Prepared shards to train from, in a fixed order (the loader shuffles them per epoch). `BatchLoader`
 * accepts one in place of a sample list. Records stream: a shard is read front to back, locally or over
 * http(s), never loaded whole.
 *
 * @example
 * const local = await ShardSource.open('/data/k400-shards');                       // a folder (its shards.json)
 * const remote = await ShardSource.open('https://host/k400/shard-{000000..000099}.tar'); // a brace pattern
 * for await (const clip of local.records(0)) console.log(clip.meta.id, clip.meta.video);
 */
export class ShardSource {
  private constructor(
    /** Shard files or URLs, in order. */
    readonly shards: readonly string[],
    readonly format: ShardFormat,
    /** The prepare index, when the source was opened from one (a folder with shards.json, or the json itself). */
    readonly index?: ShardIndex,
  ) {}

  /**
   * From a folder (its `shards.json`, else its `*.tar` / `*.tfrecord` files in name order), a `shards.json`
   * path or URL, a brace pattern (`shard-{000..099}.tar`, `{a,b}`; local or http(s)), or a list of any of those.
   *
   * @example
   * const source = await ShardSource.open(['a/shard-000000.tar', 'b/shard-{000000..000003}.tar']);
   */
  static async open(spec: string | readonly string[], options: { format?: ShardFormat } = {}): Promise<ShardSource> {
    const specs = typeof spec === 'string' ? [spec] : spec;
    if (specs.length === 0) throw new Error('ShardSource: no shards given');
    const shards: string[] = [];
    let index: ShardIndex | undefined;
    for (const one of specs) {
      const local = !isUrl(one) && existsSync(one) ? statSync(one) : undefined;
      if (local?.isDirectory()) {
        const indexPath = join(one, SHARD_INDEX_FILE);
        if (existsSync(indexPath)) {
          const found = await readIndex(indexPath);
          index = specs.length === 1 ? found : undefined;
          shards.push(...found.shards.map((s) => sibling(indexPath, s.file)));
        } else {
          const files = readdirSync(one)
            .filter((f) => formatOf(f) !== undefined)
            .sort();
          if (files.length === 0) throw new Error(`ShardSource: ${one} holds no ${SHARD_INDEX_FILE}, *.tar or *.tfrecord files`);
          shards.push(...files.map((f) => join(one, f)));
        }
      } else if (/\.json$/i.test(one)) {
        const found = await readIndex(isUrl(one) ? one : resolve(one));
        index = specs.length === 1 ? found : undefined;
        shards.push(...found.shards.map((s) => sibling(isUrl(one) ? one : resolve(one), s.file)));
      } else {
        shards.push(...expandBraces(one));
      }
    }
    const missing = shards.filter((s) => !isUrl(s) && !existsSync(s));
    if (missing.length > 0) {
      throw new Error(
        `ShardSource: ${missing.length} of the ${shards.length} shards do not exist: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}`,
      );
    }
    const format = options.format ?? index?.format ?? formatOf(shards[0]);
    if (!format) throw new Error(`ShardSource: cannot tell the format of ${shards[0]} (name it .tar or .tfrecord, or pass { format })`);
    return new ShardSource(shards, format, index);
  }

  /** Samples in all shards, when an index says. */
  get sampleCount(): number | undefined {
    return this.index?.totals.samples;
  }

  /**
   * Streams the stored clips of shard `i`, in order. A TFRecord checksum mismatch throws naming the file
   * and record offset; an http error names the URL and status.
   *
   * @example
   * for await (const clip of source.records(3)) clip.meta.key;
   */
  async *records(i: number): AsyncGenerator<StoredClip> {
    const location = this.shards[i];
    if (location === undefined) throw new Error(`ShardSource: no shard ${i} (${this.shards.length} shards)`);
    const stream = await openShard(location);
    const records = this.format === 'tar' ? readTarShard(stream, location) : this.sequenceExamples(stream, location, i);
    try {
      for (;;) {
        let next: IteratorResult<StoredClip>;
        try {
          next = await records.next();
        } catch (error) {
          // Name the shard (tar-stream says only "Unexpected end of data").
          const message = (error as Error).message;
          if (message.includes(location)) throw error;
          throw new Error(`ShardSource: ${location}: ${message} (a truncated or damaged shard)`, { cause: error });
        }
        if (next.done) return;
        yield next.value;
      }
    } finally {
      await records.return(undefined);
      stream.destroy();
    }
  }

  private async *sequenceExamples(stream: Readable, location: string, i: number): AsyncGenerator<StoredClip> {
    let n = 0;
    for await (const { data } of readTfRecords(stream, location)) {
      yield await decodeSequenceExample(data, `${i}:${n}`);
      n++;
    }
  }
}
