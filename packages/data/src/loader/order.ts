import { hashSeed, Rng } from '@vatt/tokenizers/random';
import { crc32c } from '../formats/crc32c.js';
import type { Sample } from '../datasets/sample.js';
import type { ShardSource } from '../shards/source.js';
import { shareStoredClip } from '../shards/stored.js';
import type { StoredClip } from '../shards/stored.js';

/** Position of a loader over a sample list: the next sample is `offset` in epoch `epoch`'s order. */
export interface SampleCursor {
  version: 1;
  kind: 'samples';
  /** The loader's seed, list length and a hash of the sample ids in order, checked on resume. */
  seed: number;
  count: number;
  fingerprint: string;
  epoch: number;
  offset: number;
  /** Batches yielded since the run began (over all resumes). */
  batches: number;
}

/**
 * Position of a loader over shards: in epoch `epoch`, `sample` records of the `shard`-th shard of that epoch's
 * shard order have been read, and the shuffle buffer holds the records `buffer` names (pairs of shard position
 * in the epoch's order and record number), in buffer order, with the buffer's random stream at `rng`.
 */
export interface ShardCursor {
  version: 1;
  kind: 'shards';
  seed: number;
  /** Number of shards and a hash of their file names in order, checked on resume (the folder or host may change). */
  count: number;
  fingerprint: string;
  epoch: number;
  shard: number;
  sample: number;
  buffer: number[];
  rng: number;
  batches: number;
}

/** Where a loader stands: JSON-able, small; give it back as `BatchLoaderOptions.cursor` to resume exactly. */
export type LoaderCursor = SampleCursor | ShardCursor;

/** One thing to load, with the cursor that follows it. */
export interface OrderItem {
  epoch: number;
  /** Seeds the item's augmentation with the loader seed and the epoch (its list index, or its shard key). */
  seedKey: number;
  /** Position in the sample list (sample lists only: the probe and clip caches are keyed by it). */
  index?: number;
  sample?: Sample;
  stored?: StoredClip;
  id: string;
  /** The cursor right after this item. */
  after: Omit<SampleCursor, 'batches'> | Omit<ShardCursor, 'batches'>;
}

export interface ItemStream {
  next(): Promise<OrderItem | undefined>;
  close(): Promise<void>;
}

/** Seeds an epoch's sample or shard order (a constant per kind keeps them apart). */
const SAMPLE_ORDER = 0x5eed;
const SHARD_ORDER = 0x5a4d;

/** Hash of names in order (sample ids, shard file names): a cursor only fits the list it was made over. */
export function listFingerprint(names: readonly string[]): string {
  return crc32c(new TextEncoder().encode(names.join('\n'))).toString(16);
}

function checkCursor(cursor: LoaderCursor | undefined, kind: LoaderCursor['kind'], seed: number, count: number, fingerprint: string): void {
  if (!cursor) return;
  if (cursor.version !== 1 || cursor.kind !== kind) throw new Error(`BatchLoader: the cursor is for a loader over ${cursor.kind}, this one reads ${kind}`);
  if (cursor.seed !== seed) throw new Error(`BatchLoader: the cursor was made with seed ${cursor.seed}, this loader has seed ${seed}`);
  if (cursor.count !== count || cursor.fingerprint !== fingerprint) {
    throw new Error(
      `BatchLoader: the cursor was made over ${cursor.count} other ${kind} (this loader has ${count}): resume needs the same ${kind} in the same order`,
    );
  }
}

/** Sample indices epoch by epoch (each epoch shuffled with its own seed), from a cursor's position. */
export class SampleStream implements ItemStream {
  private epoch: number;
  private offset: number;
  private order?: number[];

  constructor(
    private readonly samples: readonly Sample[],
    private readonly seed: number,
    private readonly shuffle: boolean,
    private readonly epochs: number,
    private readonly seedOffset: number,
    private readonly fingerprint: string,
    cursor?: LoaderCursor,
  ) {
    checkCursor(cursor, 'samples', seed, samples.length, fingerprint);
    this.epoch = cursor?.epoch ?? 0;
    this.offset = cursor && cursor.kind === 'samples' ? cursor.offset : 0;
  }

  async next(): Promise<OrderItem | undefined> {
    const n = this.samples.length;
    if (n === 0) return undefined; // (an endless run over nothing would spin forever)
    if (this.offset >= n) {
      this.epoch++;
      this.offset = 0;
      this.order = undefined;
    }
    if (this.epoch >= this.epochs) return undefined;
    if (!this.order) {
      this.order = this.samples.map((_, i) => i);
      if (this.shuffle) new Rng(hashSeed(this.seed, this.epoch, SAMPLE_ORDER)).shuffle(this.order);
    }
    const index = this.order[this.offset++];
    const sample = this.samples[index];
    return {
      epoch: this.epoch,
      seedKey: index + this.seedOffset,
      index,
      sample,
      id: sample.id,
      after: { version: 1, kind: 'samples', seed: this.seed, count: n, fingerprint: this.fingerprint, epoch: this.epoch, offset: this.offset },
    };
  }

  async close(): Promise<void> {}
}

/** A shard key as a number for seeding: prepared keys are decimal positions; other keys are hashed. */
export function keySeed(key: string): number {
  if (/^\d{1,15}$/.test(key)) return Number(key);
  return hashSeed(...Array.from(key, (c) => c.codePointAt(0)!));
}

interface Buffered {
  shard: number;
  record: number;
  clip: StoredClip;
}

/** The shuffle buffer's records as [shard, record] pairs, flat (a plain loop: this runs once per record). */
function bufferRefs(buffer: readonly { shard: number; record: number }[]): number[] {
  const refs = new Array<number>(2 * buffer.length);
  for (let i = 0; i < buffer.length; i++) {
    refs[2 * i] = buffer[i].shard;
    refs[2 * i + 1] = buffer[i].record;
  }
  return refs;
}

/**
 * Records of shards, epoch by epoch: the shard order shuffled per epoch, records read in file order into a
 * shuffle buffer of `bufferSize`, each emitted record drawn uniformly from the buffer (WebDataset's
 * `shuffle(bufsize)`: pick at random, move the last into its place). The buffer is drained at the end of
 * every epoch, so an epoch holds each record once. With `shuffle: false`, shards and records stay in order.
 */
export class ShardStream implements ItemStream {
  private epoch: number;
  private order: number[] = [];
  private shard: number;
  private record: number;
  private rng: Rng;
  private buffer: Buffered[] = [];
  private reader?: AsyncGenerator<StoredClip>;
  private restored?: Omit<ShardCursor, 'batches'>;

  constructor(
    private readonly source: ShardSource,
    private readonly seed: number,
    private readonly shuffle: boolean,
    private readonly bufferSize: number,
    private readonly epochs: number,
    private readonly fingerprint: string,
    cursor?: LoaderCursor,
  ) {
    checkCursor(cursor, 'shards', seed, source.shards.length, fingerprint);
    const c = cursor as ShardCursor | undefined;
    this.epoch = c?.epoch ?? 0;
    this.shard = c?.shard ?? 0;
    this.record = c?.sample ?? 0;
    this.rng = c ? Rng.fromState(c.rng) : new Rng(hashSeed(seed, this.epoch, SHARD_ORDER, 1));
    this.restored = c;
    this.order = this.epochOrder(this.epoch);
  }

  private epochOrder(epoch: number): number[] {
    const order = this.source.shards.map((_, i) => i);
    if (this.shuffle) new Rng(hashSeed(this.seed, epoch, SHARD_ORDER)).shuffle(order);
    return order;
  }

  /** Re-reads the records a cursor's buffer names (from shards already passed) and reopens the current shard at its record. */
  private async restore(c: Omit<ShardCursor, 'batches'>): Promise<void> {
    const wanted = new Map<number, Map<number, number>>(); // shard position -> record -> buffer slot
    for (let i = 0; i < c.buffer.length; i += 2) {
      const [shard, record] = [c.buffer[i], c.buffer[i + 1]];
      if (!wanted.has(shard)) wanted.set(shard, new Map());
      wanted.get(shard)!.set(record, i / 2);
    }
    const slots: (Buffered | undefined)[] = new Array(c.buffer.length / 2);
    const positions = [...new Set([...wanted.keys(), ...(c.shard < this.order.length ? [c.shard] : [])])].sort((a, b) => a - b);
    for (const position of positions) {
      const need = wanted.get(position) ?? new Map<number, number>();
      const last = position === c.shard ? c.sample - 1 : Math.max(-1, ...need.keys());
      const reader = this.source.records(this.order[position]);
      for (let record = 0; record <= last; record++) {
        const next = await reader.next();
        if (next.done) throw new Error(`BatchLoader: cannot resume: shard ${this.source.shards[this.order[position]]} has fewer records than the cursor says`);
        const slot = need.get(record);
        if (slot !== undefined) slots[slot] = { shard: position, record, clip: shareStoredClip(next.value) };
      }
      if (position === c.shard) this.reader = reader;
      else await reader.return(undefined);
    }
    if (slots.some((s) => s === undefined)) throw new Error('BatchLoader: cannot resume: the cursor names records that are not in the shards');
    this.buffer = slots as Buffered[];
  }

  /** The next record of the epoch's stream of shards, or undefined at the end of the epoch. */
  private async read(): Promise<Buffered | undefined> {
    while (this.shard < this.order.length) {
      this.reader ??= this.source.records(this.order[this.shard]);
      const next = await this.reader.next();
      if (!next.done) return { shard: this.shard, record: this.record++, clip: shareStoredClip(next.value) };
      this.reader = undefined;
      this.shard++;
      this.record = 0;
    }
    return undefined;
  }

  async next(): Promise<OrderItem | undefined> {
    if (this.restored) {
      const c = this.restored;
      this.restored = undefined;
      await this.restore(c);
    }
    for (;;) {
      if (this.epoch >= this.epochs || this.source.shards.length === 0) return undefined;
      const size = this.shuffle ? Math.max(1, this.bufferSize) : 1;
      while (this.buffer.length < size) {
        const record = await this.read();
        if (!record) break;
        this.buffer.push(record);
      }
      if (this.buffer.length > 0) {
        const k = size > 1 ? this.rng.int(this.buffer.length) : 0;
        const picked = this.buffer[k];
        this.buffer[k] = this.buffer[this.buffer.length - 1];
        this.buffer.pop();
        const epoch = this.epoch;
        return {
          epoch,
          seedKey: keySeed(picked.clip.meta.key),
          stored: picked.clip,
          id: picked.clip.meta.id,
          after: {
            version: 1,
            kind: 'shards',
            seed: this.seed,
            count: this.source.shards.length,
            fingerprint: this.fingerprint,
            epoch,
            shard: this.shard,
            sample: this.record,
            buffer: bufferRefs(this.buffer),
            rng: this.rng.state,
          },
        };
      }
      // The epoch is over (every shard read, the buffer drained): the next one has its own shard order and stream.
      this.epoch++;
      if (this.epoch >= this.epochs) return undefined;
      this.order = this.epochOrder(this.epoch);
      this.shard = 0;
      this.record = 0;
      this.rng = new Rng(hashSeed(this.seed, this.epoch, SHARD_ORDER, 1));
    }
  }

  async close(): Promise<void> {
    await this.reader?.return(undefined);
    this.reader = undefined;
  }
}
