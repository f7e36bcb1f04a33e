/**
 * WebDataset-style tar shards (github.com/webdataset/webdataset, "The WebDataset Format"): a POSIX (ustar)
 * tar whose members are grouped into samples by key, the path up to the first dot of the file name
 * (`base_plus_ext`), the rest naming the field; a sample's members are adjacent. Each prepared sample is
 *   <key>.json          metadata (StoredClipMeta: id, captions with times, labels, source, geometry, rates)
 *   <key>.frames.rgb    raw frames, uint8 rgb24 [T, H, W, 3]            (frames: 'raw')
 *   <key>.frames.mjpeg  one JPEG per frame, back to back (sizes in json) (frames: 'jpeg')
 *   <key>.audio.f32     mono waveform, float32 little endian
 * Readers that do not know a field skip it (WebDataset's convention), so more can be added.
 */
import tar from 'tar-stream';
import { recordBuffers, sharedFloats } from './stored.js';
import type { StoredClip, StoredClipMeta } from './stored.js';

/** Bytes a tar member of `size` bytes takes: a 512-byte header and the data padded to 512. */
export function tarEntryBytes(size: number): number {
  return 512 + Math.ceil(size / 512) * 512;
}

/** The end-of-archive marker: two zero blocks. */
export const TAR_END_BYTES = 1024;

/** Members of one stored clip, in the order they are written (metadata first, so a streaming reader knows the geometry). */
export function tarMembers(clip: StoredClip): { name: string; data: Uint8Array }[] {
  const { meta } = clip;
  const members: { name: string; data: Uint8Array }[] = [{ name: `${meta.key}.json`, data: new TextEncoder().encode(JSON.stringify(meta)) }];
  if (clip.frames) members.push({ name: `${meta.key}.frames.${meta.video?.encoding === 'jpeg' ? 'mjpeg' : 'rgb'}`, data: clip.frames });
  if (clip.audio) members.push({ name: `${meta.key}.audio.f32`, data: new Uint8Array(clip.audio.buffer, clip.audio.byteOffset, clip.audio.byteLength) });
  return members;
}

/** Tar bytes a stored clip adds to a shard. */
export function tarClipBytes(clip: StoredClip): number {
  return tarMembers(clip).reduce((n, m) => n + tarEntryBytes(m.data.byteLength), 0);
}

/**
 * Packs stored clips into one tar stream (pipe `pack` to a file). Members carry a fixed mtime, so the same
 * samples give byte-identical shards.
 *
 * @example
 * const writer = new TarShardWriter();
 * const done = pipeline(writer.pack, createWriteStream('shard-000000.tar.tmp'));
 * await writer.add(clip);
 * writer.finish();
 * await done;
 */
export class TarShardWriter {
  readonly pack = tar.pack();
  bytes = 0;

  async add(clip: StoredClip): Promise<void> {
    for (const { name, data } of tarMembers(clip)) {
      await new Promise<void>((resolve, reject) =>
        this.pack.entry({ name, size: data.byteLength, mtime: new Date(0), mode: 0o644 }, data, (error) => (error ? reject(error) : resolve())),
      );
      this.bytes += tarEntryBytes(data.byteLength);
    }
  }

  finish(): void {
    this.pack.finalize();
    this.bytes += TAR_END_BYTES;
  }
}

/**
 * WebDataset's split of a member name into sample key and field (`base_plus_ext`).
 *
 * @example
 * splitTarName('dir/00000012.frames.rgb'); // { key: 'dir/00000012', field: 'frames.rgb' }
 */
export function splitTarName(name: string): { key: string; field: string } | undefined {
  const m = /^((?:.*\/|)[^./]+)\.([^/]*)$/.exec(name);
  return m ? { key: m[1], field: m[2] } : undefined;
}

function toClip(key: string, fields: Map<string, Uint8Array>, file: string): StoredClip {
  const json = fields.get('json');
  if (!json) throw new Error(`${file}: sample "${key}" has no ${key}.json (not a prepared VATT shard?)`);
  const meta = JSON.parse(new TextDecoder().decode(json)) as StoredClipMeta;
  const frames = fields.get('frames.rgb') ?? fields.get('frames.mjpeg');
  const audio = fields.get('audio.f32');
  const floats = audio && (audio.byteLength % 4 === 0 ? new Float32Array(audio.buffer, audio.byteOffset, audio.byteLength / 4) : sharedFloats(audio));
  return { meta, ...(frames ? { frames } : {}), ...(floats ? { audio: floats } : {}) };
}

/**
 * The stored clips of a tar shard, streamed (nothing but the current sample is held in memory).
 *
 * @example
 * for await (const clip of readTarShard(createReadStream('shard-000000.tar'), 'shard-000000.tar')) console.log(clip.meta.id);
 */
export async function* readTarShard(stream: AsyncIterable<Uint8Array> & NodeJS.ReadableStream, file: string): AsyncGenerator<StoredClip> {
  const extract = tar.extract();
  stream.on('error', (error: Error) => extract.destroy(error));
  stream.pipe(extract as unknown as NodeJS.WritableStream);
  let key: string | undefined;
  let fields = new Map<string, Uint8Array>();
  try {
    for await (const entry of extract) {
      // Each member straight into a buffer of its own in shared memory (one copy out of the stream's chunks; for raw
      // frames and audio, whose sizes recur, a buffer the loader gave back when there is one): a loader worker is
      // then handed the frames without another copy. (The metadata is parsed here: an ordinary buffer.)
      const { name, size } = entry.header;
      const data = new Uint8Array(
        name.endsWith('.json') ? new ArrayBuffer(size) : name.endsWith('.mjpeg') ? new SharedArrayBuffer(size) : recordBuffers.take(size),
      );
      let filled = 0;
      for await (const chunk of entry) {
        data.set(chunk as Uint8Array, filled);
        filled += (chunk as Uint8Array).length;
      }
      if (entry.header.type !== 'file') continue;
      if (filled !== data.length) throw new Error(`${file}: member ${name} is truncated`);
      const parts = splitTarName(name);
      if (!parts) continue;
      if (key !== undefined && parts.key !== key) {
        yield toClip(key, fields, file);
        fields = new Map();
      }
      key = parts.key;
      fields.set(parts.field, data);
    }
    if (key !== undefined) yield toClip(key, fields, file);
  } finally {
    (stream as unknown as { destroy?: () => void }).destroy?.();
    extract.destroy();
  }
}
