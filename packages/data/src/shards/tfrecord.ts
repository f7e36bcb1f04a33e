/**
 * TFRecord files of `tf.train.SequenceExample`s in the layout DMVR and the official VATT input pipeline read.
 *
 * Framing (tensorflow/core/lib/io/record_writer.cc, record_reader.cc), per record:
 *   uint64 length (little endian) | uint32 masked CRC32C of those 8 bytes | payload | uint32 masked CRC32C of the payload
 *
 * SequenceExample features written (and read back):
 * - feature_lists `image/encoded`: one Feature per frame, a bytes_list holding that frame's JPEG
 *   (dmvr/modalities.py add_image: FixedLenSequenceFeature tf.string, then decode_jpeg; dmvr/examples/generate_from_file.py).
 * - feature_lists `WAVEFORM/feature/floats`: ONE Feature whose float_list is the whole mono waveform
 *   (dmvr/modalities.py add_audio, "Entire signal stored in one Feature"; vatt/data/processing.py add_audio default key).
 * - context `caption/string`: bytes_list of every caption (dmvr/modalities.py add_text; vatt/data/processing.py add_text).
 * - context `clip/label/index` (int64_list), `clip/label/string` and `clip/label/text` (bytes_list): the label(s)
 *   (dmvr/modalities.py add_label reads `clip/label/index` and, by default, `clip/label/text`, which
 *   generate_from_file.py writes; `clip/label/string` is MediaSequence's and DMVR's tests' name: both are written).
 * - context `video/filename`, `clip/start/timestamp`, `clip/end/timestamp` (microseconds): generate_from_file.py.
 * - context `example/id`, `image/format`, `image/height`, `image/width`, `image/channels`, `image/frame_rate`,
 *   `WAVEFORM/feature/sample_rate`, `WAVEFORM/feature/num_channels`, `WAVEFORM/feature/num_samples`:
 *   MediaSequence's keys (mediapipe/util/sequence/media_sequence.py; DMVR's keys are MediaSequence's).
 * - context `caption/start/timestamp`, `caption/end/timestamp` (int64 microseconds, one per caption): caption
 *   times, which neither DMVR nor VATT define; named after MediaSequence's `segment/start/timestamp`.
 * - context `vatt/sample/json`: what the keys above cannot say exactly (the sample key, split, label vs labels,
 *   the source duration), as JSON; DMVR ignores features it is not asked to parse.
 * DMVR's TFRecordsSource reads these files as they are (vatt/data/loading.py: a table may be a list of files).
 */
import { concatBytes } from '../bytes.js';
import { crc32c, maskCrc, unmaskCrc } from '../formats/crc32c.js';
import type { TimedCaption } from '../datasets/sample.js';
import { isTimed } from '../datasets/sample.js';
import { exampleTypes } from './example-proto.js';
import { loadSharp, recordBuffers } from './stored.js';
import type { StoredClip, StoredClipMeta } from './stored.js';

/** A TFRecord file is damaged: `file` and the record's byte `offset` say where. */
export class TfRecordError extends Error {
  override readonly name = 'TfRecordError';
  constructor(
    readonly file: string,
    readonly offset: number,
    detail: string,
  ) {
    super(`${file}: TFRecord at byte offset ${offset}: ${detail}`);
  }
}

/**
 * One record with TFRecord framing.
 *
 * @example
 * const bytes = frameTfRecord(new TextEncoder().encode('payload')); // 12 + 7 + 4 bytes
 */
export function frameTfRecord(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + payload.length + 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length >>> 0, true);
  view.setUint32(4, Math.floor(payload.length / 2 ** 32), true);
  view.setUint32(8, maskCrc(crc32c(out.subarray(0, 8))), true);
  out.set(payload, 12);
  view.setUint32(12 + payload.length, maskCrc(crc32c(payload)), true);
  return out;
}

/** Bytes arriving in chunks, read back in pieces of any size. */
class ByteQueue {
  private chunks: Uint8Array[] = [];
  available = 0;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.available += chunk.length;
  }

  /** Removes and returns the next `n` bytes (a view when they sit in one chunk). */
  take(n: number): Uint8Array {
    const first = this.chunks[0];
    if (first.length >= n) {
      this.available -= n;
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0];
      const part = Math.min(chunk.length, n - filled);
      out.set(chunk.subarray(0, part), filled);
      filled += part;
      if (part === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(part);
    }
    this.available -= n;
    return out;
  }
}

/**
 * The records of a TFRecord stream, both checksums verified; a mismatch or a cut-off record throws a
 * `TfRecordError` naming `file` and the record's byte offset.
 *
 * @example
 * for await (const { offset, data } of readTfRecords(createReadStream('a.tfrecord'), 'a.tfrecord')) console.log(offset, data.length);
 */
export async function* readTfRecords(stream: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<{ offset: number; data: Uint8Array }> {
  const queue = new ByteQueue();
  let offset = 0;
  let length = -1;
  const records = function* () {
    for (;;) {
      if (length < 0) {
        if (queue.available < 12) return;
        const header = queue.take(12);
        const view = new DataView(header.buffer, header.byteOffset, 12);
        if (unmaskCrc(view.getUint32(8, true)) !== crc32c(header.subarray(0, 8))) throw new TfRecordError(file, offset, 'length checksum mismatch');
        const high = view.getUint32(4, true);
        if (high !== 0) throw new TfRecordError(file, offset, 'record length over 4 GiB');
        length = view.getUint32(0, true);
      }
      if (queue.available < length + 4) return;
      const data = queue.take(length);
      const footer = queue.take(4);
      if (unmaskCrc(new DataView(footer.buffer, footer.byteOffset, 4).getUint32(0, true)) !== crc32c(data)) {
        throw new TfRecordError(file, offset, 'payload checksum mismatch');
      }
      const at = offset;
      offset += 12 + length + 4;
      length = -1;
      yield { offset: at, data };
    }
  };
  for await (const chunk of stream) {
    queue.push(chunk);
    yield* records();
  }
  if (length >= 0 || queue.available > 0) throw new TfRecordError(file, offset, 'file ends inside a record (truncated)');
}

type Feature = {
  bytesList?: { value: Uint8Array[] };
  floatList?: { value: number[] | Float32Array };
  int64List?: { value: (number | { toNumber(): number })[] };
};
const bytes = (...values: (string | Uint8Array)[]): Feature => ({
  bytesList: { value: values.map((v) => (typeof v === 'string' ? new TextEncoder().encode(v) : v)) },
});
const ints = (...values: number[]): Feature => ({ int64List: { value: values.map((v) => Math.round(v)) } });
const floats = (...values: number[]): Feature => ({ floatList: { value: values } });
const micros = (seconds: number) => Math.round(seconds * 1e6);

/**
 * A stored clip as a serialized SequenceExample (see the file comment for the features). Frames must be JPEG.
 * `labelIndex` maps string labels to `clip/label/index` values (numbers are their own index).
 *
 * @example
 * const payload = encodeSequenceExample(clip, new Map([['dog', 0]]));
 */
export function encodeSequenceExample(clip: StoredClip, labelIndex: ReadonlyMap<string, number> = new Map()): Uint8Array {
  const { meta } = clip;
  const context: Record<string, Feature> = { 'example/id': bytes(meta.id) };
  if (meta.source !== undefined) context['video/filename'] = bytes(meta.source);
  context['clip/start/timestamp'] = ints(micros(meta.clipStart));
  context['clip/end/timestamp'] = ints(micros(meta.clipStart + meta.duration));
  const labels = meta.labels ?? (meta.label !== undefined ? [meta.label] : []);
  if (labels.length > 0) {
    const indices = labels.map((l) => (typeof l === 'number' ? l : labelIndex.get(l)));
    if (indices.every((i) => i !== undefined)) context['clip/label/index'] = ints(...(indices as number[]));
    const names = labels.filter((l): l is string => typeof l === 'string');
    if (names.length === labels.length) context['clip/label/string'] = context['clip/label/text'] = bytes(...names);
  }
  if (meta.captions && meta.captions.length > 0) {
    const timed = isTimed(meta.captions);
    context['caption/string'] = bytes(...(timed ? (meta.captions as TimedCaption[]).map((c) => c.text) : (meta.captions as string[])));
    if (timed) {
      context['caption/start/timestamp'] = ints(...(meta.captions as TimedCaption[]).map((c) => micros(c.start)));
      context['caption/end/timestamp'] = ints(...(meta.captions as TimedCaption[]).map((c) => micros(c.end)));
    }
  }
  const featureList: Record<string, { feature: Feature[] }> = {};
  if (meta.video && clip.frames) {
    if (meta.video.encoding !== 'jpeg' || !meta.video.frameBytes)
      throw new Error(`TFRecord shards store JPEG frames (DMVR decode_jpeg); "${meta.id}" has ${meta.video.encoding}`);
    Object.assign(context, {
      'image/format': bytes('JPEG'),
      'image/height': ints(meta.video.height),
      'image/width': ints(meta.video.width),
      'image/channels': ints(3),
      'image/frame_rate': floats(meta.video.fps),
    });
    let offset = 0;
    featureList['image/encoded'] = {
      feature: meta.video.frameBytes.map((n) => {
        const frame = clip.frames!.subarray(offset, offset + n);
        offset += n;
        return bytes(frame);
      }),
    };
  }
  if (meta.audio && clip.audio) {
    Object.assign(context, {
      'WAVEFORM/feature/sample_rate': floats(meta.audio.sampleRate),
      'WAVEFORM/feature/num_channels': ints(1),
      'WAVEFORM/feature/num_samples': ints(clip.audio.length),
    });
    featureList['WAVEFORM/feature/floats'] = { feature: [{ floatList: { value: clip.audio } }] };
  }
  const extra = { key: meta.key, split: meta.split, label: meta.label, labels: meta.labels, sourceDuration: meta.sourceDuration };
  context['vatt/sample/json'] = bytes(JSON.stringify(extra));
  const { SequenceExample } = exampleTypes();
  return SequenceExample.encode({ context: { feature: context }, featureLists: { featureList } }).finish();
}

const text = (f: Feature | undefined) => (f?.bytesList?.value ?? []).map((b) => new TextDecoder().decode(b));
const int = (f: Feature | undefined) => (f?.int64List?.value ?? []).map((v) => (typeof v === 'number' ? v : v.toNumber()));
const float = (f: Feature | undefined) => Array.from(f?.floatList?.value ?? []);

/**
 * Reads a serialized SequenceExample back into a stored clip: ours, or one written by DMVR's
 * generate_from_file.py (then the frame rate defaults to its 10 fps, the audio rate to DMVR's 48 kHz, the id
 * to the file name, and the frame size is read from the first JPEG). `fallbackKey` names records without one.
 *
 * @example
 * const clip = await decodeSequenceExample(record.data, '00000003');
 */
export async function decodeSequenceExample(payload: Uint8Array, fallbackKey: string): Promise<StoredClip> {
  const { SequenceExample } = exampleTypes();
  const message = SequenceExample.decode(payload) as unknown as {
    context?: { feature?: Record<string, Feature> };
    featureLists?: { featureList?: Record<string, { feature?: Feature[] }> };
  };
  const context = message.context?.feature ?? {};
  const lists = message.featureLists?.featureList ?? {};
  const extra = context['vatt/sample/json'] ? (JSON.parse(text(context['vatt/sample/json'])[0]) as Partial<StoredClipMeta>) : {};
  const [filename] = text(context['video/filename']);
  const start = (int(context['clip/start/timestamp'])[0] ?? 0) / 1e6;
  const meta: StoredClipMeta = {
    key: extra.key ?? fallbackKey,
    id: text(context['example/id'])[0] ?? (filename !== undefined ? `${filename}@${start}` : fallbackKey),
    clipStart: start,
    duration: Infinity,
  };
  if (filename !== undefined) meta.source = filename;
  if (extra.sourceDuration !== undefined) meta.sourceDuration = extra.sourceDuration;
  const captions = text(context['caption/string']);
  if (captions.length > 0) {
    const starts = int(context['caption/start/timestamp']);
    const ends = int(context['caption/end/timestamp']);
    meta.captions =
      starts.length === captions.length && ends.length === captions.length
        ? captions.map((t, i) => ({ text: t, start: starts[i] / 1e6, end: ends[i] / 1e6 }))
        : captions;
  }
  if ('label' in extra || 'labels' in extra) {
    if (extra.label !== undefined) meta.label = extra.label;
    if (extra.labels !== undefined) meta.labels = extra.labels;
  } else {
    const names = text(context['clip/label/string'] ?? context['clip/label/text']);
    const indices = int(context['clip/label/index']);
    const labels: (string | number)[] = names.length > 0 ? names : indices;
    if (labels.length === 1) meta.label = labels[0];
    else if (labels.length > 1) meta.labels = labels;
  }
  if (extra.split !== undefined) meta.split = extra.split;
  const clip: StoredClip = { meta };
  const frames = (lists['image/encoded']?.feature ?? []).map((f) => f.bytesList?.value?.[0] ?? new Uint8Array(0));
  if (frames.length > 0) {
    let [height] = int(context['image/height']);
    let [width] = int(context['image/width']);
    if (height === undefined || width === undefined) {
      const info = await (await loadSharp())(frames[0]).metadata();
      [height, width] = [info.height!, info.width!];
    }
    const fps = float(context['image/frame_rate'])[0] ?? 10;
    // Straight into shared memory, as the tar reader does: the loader then posts the clip to workers as is.
    clip.frames = concatBytes(frames, true);
    meta.video = { encoding: 'jpeg', numFrames: frames.length, width, height, fps, frameBytes: frames.map((f) => f.length) };
    meta.duration = frames.length / fps;
  }
  const wave = lists['WAVEFORM/feature/floats']?.feature?.[0]?.floatList?.value;
  if (wave && wave.length > 0) {
    const sampleRate = float(context['WAVEFORM/feature/sample_rate'])[0] ?? 48_000;
    clip.audio = new Float32Array(recordBuffers.take(wave.length * 4));
    clip.audio.set(wave);
    meta.audio = { sampleRate, numSamples: clip.audio.length, channels: 1 };
    if (!meta.video) meta.duration = clip.audio.length / sampleRate;
  }
  if (!Number.isFinite(meta.duration)) meta.duration = 0;
  return clip;
}
