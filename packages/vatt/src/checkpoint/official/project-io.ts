/**
 * Streaming access to this project's checkpoint directories (format `vatt-checkpoint/1`,
 * checkpoint/format.ts, stored as checkpoint/file-handler.ts stores it: `model.json` with a tf.io
 * weights manifest, then `group1-shardNofM.bin` files holding the weights back to back), one tensor
 * at a time, so converting a multi-GB checkpoint never holds it whole (`saveCheckpoint` /
 * `loadCheckpoint` encode every weight into one buffer: right for training, not for conversion).
 *
 * The writer keeps `saveArtifacts`' crash safety: everything goes into a `<dir>.tmp-<pid>-<time>` sibling,
 * each shard is fsynced, `model.json` is written last, then the directory is renamed into place, so a
 * killed conversion leaves no directory with a `model.json` (and `CheckpointManager` removes the leftover).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { syncDirectory, writeFileSynced } from '../../durable-files.js';
import { confinedShard, MODEL_JSON, readModelJson } from '../file-handler.js';
import { CHECKPOINT_FORMAT } from '../format.js';
import { numElements } from '../tf/dtypes.js';
import { OfficialCheckpointError } from './errors.js';

/** The dtypes of weights in our checkpoints (tf.io's `float32` weights and `int32` counters). */
export type ProjectDType = 'float32' | 'int32';

/** One weight of a checkpoint directory, where its bytes lie in the concatenated shards. */
export interface ProjectWeight {
  name: string;
  shape: number[];
  dtype: ProjectDType;
  byteOffset: number;
  byteLength: number;
}

/** The configs and metadata of a checkpoint, what `readCheckpointInfo` returns. */
export interface ProjectMeta {
  modelConfig: unknown;
  preprocessing: unknown;
  vocab?: string[];
  training?: unknown;
}

/** Matches checkpoint/file-handler.ts (its default shard size), so both writers produce the same layout. */
const SHARD_BYTES = 4 * 1024 * 1024;

/**
 * Reads a checkpoint directory's weights in manifest order, one at a time.
 *
 * @example
 * const r = await ProjectCheckpointReader.open('runs/tiny/checkpoints/ckpt-00000300');
 * for await (const { weight, bytes } of r.weights()) console.log(weight.name, weight.shape, bytes.byteLength);
 */
export class ProjectCheckpointReader {
  private constructor(
    readonly dir: string,
    readonly meta: ProjectMeta,
    readonly specs: ProjectWeight[],
    private readonly shards: Array<{ file: string; size: number; start: number }>,
    readonly totalBytes: number,
  ) {}

  /** Parses `model.json`, checks the shards are there and add up to what the manifest describes. */
  static async open(dir: string): Promise<ProjectCheckpointReader> {
    type ProjectModelJson = {
      format?: string;
      modelTopology?: { class?: string; config?: unknown };
      weightsManifest?: Array<{ paths: string[]; weights: Array<{ name: string; shape: number[]; dtype: string; quantization?: unknown }> }>;
      userDefinedMetadata?: { preprocessing?: unknown; vocab?: string[] | null; training?: unknown };
      weightDataBytes?: number;
    };
    const file = path.join(dir, MODEL_JSON);
    const bad = (e: unknown, at = file): never => {
      throw new OfficialCheckpointError('BAD_CHECKPOINT', (e as Error).message.replace(/^checkpoint: /, ''), { file: at, cause: e });
    };
    const { json } = await readModelJson<ProjectModelJson>(dir).catch((e) => bad(e));
    const root = await fs.realpath(dir);
    if (json.format !== CHECKPOINT_FORMAT) {
      throw new OfficialCheckpointError(
        'BAD_CHECKPOINT',
        `${file} has format "${json.format}", expected "${CHECKPOINT_FORMAT}" (a vatt checkpoint directory)`,
        { file },
      );
    }
    if (!json.modelTopology?.config || !Array.isArray(json.weightsManifest)) {
      throw new OfficialCheckpointError('BAD_CHECKPOINT', `${file} has no model config or no weights manifest`, { file });
    }
    const specs: ProjectWeight[] = [];
    const shards: Array<{ file: string; size: number; start: number }> = [];
    let offset = 0;
    let shardStart = 0;
    for (const group of json.weightsManifest) {
      for (const p of group.paths) {
        const shardFile = await confinedShard(root, p, file).catch((e) => bad(e, path.join(dir, String(p))));
        const st = await fs.stat(shardFile).catch(() => null);
        if (!st) throw new OfficialCheckpointError('BAD_CHECKPOINT', `missing weight shard ${shardFile} listed in ${file}`, { file: shardFile });
        shards.push({ file: shardFile, size: st.size, start: shardStart });
        shardStart += st.size;
      }
      for (const w of group.weights) {
        if (w.quantization)
          throw new OfficialCheckpointError('BAD_CHECKPOINT', `${file}: weight "${w.name}" is quantized; only plain float32/int32 weights are read`, { file });
        if (w.dtype !== 'float32' && w.dtype !== 'int32') {
          throw new OfficialCheckpointError('BAD_CHECKPOINT', `${file}: weight "${w.name}" has dtype ${w.dtype}; only float32 and int32 weights are read`, {
            file,
          });
        }
        const byteLength = numElements(w.shape) * 4;
        specs.push({ name: w.name, shape: [...w.shape], dtype: w.dtype, byteOffset: offset, byteLength });
        offset += byteLength;
      }
    }
    if (shardStart !== offset || (json.weightDataBytes !== undefined && json.weightDataBytes !== offset)) {
      throw new OfficialCheckpointError(
        'BAD_CHECKPOINT',
        `${dir}: the shards hold ${shardStart} bytes, the manifest's weights need ${offset}` +
          `${json.weightDataBytes !== undefined ? ` (model.json says ${json.weightDataBytes})` : ''}: a truncated or foreign shard`,
        { file },
      );
    }
    const meta = json.userDefinedMetadata ?? {};
    return new ProjectCheckpointReader(
      dir,
      { modelConfig: json.modelTopology.config, preprocessing: meta.preprocessing, vocab: meta.vocab ?? undefined, training: meta.training ?? undefined },
      specs,
      shards,
      offset,
    );
  }

  /** Every weight with its bytes (a fresh, aligned buffer each), in manifest order; nothing beyond the current weight is held. */
  async *weights(): AsyncGenerator<{ weight: ProjectWeight; bytes: Uint8Array }> {
    let shard = 0;
    let fh: fs.FileHandle | undefined;
    try {
      for (const w of this.specs) {
        const bytes = new Uint8Array(Buffer.allocUnsafeSlow(w.byteLength).buffer, 0, w.byteLength);
        let got = 0;
        while (got < w.byteLength) {
          const pos = w.byteOffset + got;
          while (pos >= this.shards[shard].start + this.shards[shard].size) {
            await fh?.close();
            fh = undefined;
            shard++;
          }
          const s = this.shards[shard];
          fh ??= await fs.open(s.file, 'r');
          const n = Math.min(w.byteLength - got, s.start + s.size - pos);
          const { bytesRead } = await fh.read(bytes, got, n, pos - s.start);
          if (bytesRead === 0)
            throw new OfficialCheckpointError('BAD_CHECKPOINT', `${s.file} ended early at offset ${pos - s.start}`, { file: s.file, offset: pos - s.start });
          got += bytesRead;
        }
        yield { weight: w, bytes };
      }
    } finally {
      await fh?.close();
    }
  }
}

/**
 * Writes a checkpoint directory tensor by tensor (see the file comment for the crash safety).
 * `totalBytes` (the sum of the weights' bytes) names the shards up front.
 *
 * @example
 * const w = await ProjectCheckpointWriter.create('out/vatt-bbs', { modelConfig, preprocessing, vocab }, 8);
 * await w.add('video/agg_embedding', 'float32', [2], Float32Array.of(1, 2));
 * await w.finish();
 */
export class ProjectCheckpointWriter {
  private readonly specs: Array<{ name: string; shape: number[]; dtype: ProjectDType }> = [];
  private readonly paths: string[];
  private written = 0;
  private shard = -1;
  private fh: fs.FileHandle | undefined;
  private readonly syncing: Promise<void>[] = [];
  private done = false;

  private constructor(
    readonly target: string,
    private readonly tmp: string,
    private readonly meta: ProjectMeta & { convertedBy?: string },
    readonly totalBytes: number,
    private readonly shardBytes: number,
  ) {
    const n = Math.max(1, Math.ceil(totalBytes / shardBytes));
    this.paths = Array.from({ length: n }, (_, i) => `group1-shard${i + 1}of${n}.bin`);
  }

  /** Creates the temporary sibling directory `<dir>.tmp-<pid>-<time>`. */
  static async create(
    dir: string,
    meta: ProjectMeta & { convertedBy?: string },
    totalBytes: number,
    shardBytes = SHARD_BYTES,
  ): Promise<ProjectCheckpointWriter> {
    const target = path.resolve(dir);
    await fs.mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${process.pid}-${Date.now().toString(36)}`;
    await fs.mkdir(tmp, { recursive: true });
    return new ProjectCheckpointWriter(target, tmp, meta, totalBytes, shardBytes);
  }

  /** Bytes written so far. */
  get bytesWritten(): number {
    return this.written;
  }

  /** Appends one weight (its bytes are the row-major element bytes of `dtype`). */
  async add(name: string, dtype: ProjectDType, shape: readonly number[], data: ArrayBufferView): Promise<void> {
    if (this.done) throw new Error(`ProjectCheckpointWriter: ${this.target} is finished`);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (bytes.byteLength !== numElements(shape) * 4)
      throw new Error(`ProjectCheckpointWriter: "${name}" has ${bytes.byteLength} bytes for ${dtype} [${shape}]`);
    if (this.written + bytes.byteLength > this.totalBytes)
      throw new Error(`ProjectCheckpointWriter: "${name}" goes past the announced ${this.totalBytes} bytes`);
    this.specs.push({ name, shape: [...shape], dtype });
    let done = 0;
    while (done < bytes.byteLength) {
      const inShard = this.written % this.shardBytes;
      if (inShard === 0) await this.nextShard();
      const n = Math.min(bytes.byteLength - done, this.shardBytes - inShard);
      let w = 0;
      while (w < n) w += (await this.fh!.write(bytes, done + w, n - w, inShard + w)).bytesWritten;
      done += n;
      this.written += n;
    }
  }

  private async nextShard(): Promise<void> {
    this.closeShard();
    this.shard++;
    this.fh = await fs.open(path.join(this.tmp, this.paths[this.shard]), 'w');
  }

  /**
   * Starts fsync + close of the current shard without waiting: the next shard is written meanwhile
   * (an fsync per 4 MiB in line halves the throughput); `finish` waits for all before `model.json`.
   */
  private closeShard(): void {
    if (!this.fh) return;
    const fh = this.fh;
    this.fh = undefined;
    const done = fh.sync().finally(() => fh.close());
    done.catch(() => undefined); // awaited (and reported) in finish
    this.syncing.push(done);
  }

  /** Writes `model.json` last and renames the directory into place (replacing an older one). */
  async finish(): Promise<void> {
    if (this.done) throw new Error(`ProjectCheckpointWriter: ${this.target} is finished`);
    this.done = true;
    try {
      if (this.written !== this.totalBytes) throw new Error(`ProjectCheckpointWriter: ${this.written} bytes written, ${this.totalBytes} announced`);
      this.closeShard();
      await Promise.all(this.syncing);
      // A checkpoint with no weight bytes still gets its one (empty) shard, as saveArtifacts writes it.
      for (let i = this.shard + 1; i < this.paths.length; i++) await writeFileSynced(path.join(this.tmp, this.paths[i]), new Uint8Array(0));
      const modelJson = {
        modelTopology: { class: 'VATT', config: this.meta.modelConfig },
        format: CHECKPOINT_FORMAT,
        generatedBy: 'vatt.ts',
        convertedBy: this.meta.convertedBy ?? null,
        weightsManifest: [{ paths: this.paths, weights: this.specs }],
        userDefinedMetadata: { preprocessing: this.meta.preprocessing, vocab: this.meta.vocab ?? null, training: this.meta.training ?? null },
        weightDataBytes: this.written,
      };
      // The repository's crash test hook (checkpoint/file-handler.ts): die like `kill -9` before model.json.
      const fault = process.env.VATT_FAULT_KILL_DURING_SAVE;
      if (fault && this.target.includes(fault)) process.kill(process.pid, 'SIGKILL');
      await writeFileSynced(path.join(this.tmp, MODEL_JSON), JSON.stringify(modelJson));
      const old = `${this.target}.old-${process.pid}-${Date.now().toString(36)}`;
      let hadOld = false;
      try {
        await fs.rename(this.target, old);
        hadOld = true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      await fs.rename(this.tmp, this.target);
      await syncDirectory(path.dirname(path.resolve(this.target)));
      if (hadOld) await fs.rm(old, { recursive: true, force: true });
    } catch (e) {
      await this.abort();
      throw e;
    }
  }

  /** Stops and removes the temporary directory (the target is left as it was). */
  async abort(): Promise<void> {
    this.done = true;
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
    await Promise.allSettled(this.syncing);
    await fs.rm(this.tmp, { recursive: true, force: true });
  }
}
