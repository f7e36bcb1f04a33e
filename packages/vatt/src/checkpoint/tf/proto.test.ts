// The committed descriptor matches the .proto files, and the encoders write what C++ writes.
import protobuf from 'protobufjs';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TF_PROTOS_DESCRIPTOR } from './proto/tf-protos.js';
import { decodeBundleEntry, decodeBundleHeader, encodeBundleEntry, encodeBundleHeader } from './proto.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('proto/tf-protos.ts is up to date with the .proto files (else: node packages/vatt/src/checkpoint/tf/proto/generate.mjs)', () => {
  const dir = fileURLToPath(new URL('./proto/', import.meta.url));
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.proto'))
    .map((f) => path.join(dir, f));
  const parsed = new protobuf.Root().loadSync(files, { keepCase: true });
  expect(JSON.parse(JSON.stringify(parsed.toJSON()))).toEqual(TF_PROTOS_DESCRIPTOR);
});

test('the header BundleWriter writes: num_shards 1, LITTLE (default, omitted), version { producer: 1 }', () => {
  const bytes = encodeBundleHeader({ numShards: 1, endianness: 'little', version: { producer: 1, minConsumer: 0, badConsumers: [] } });
  expect(hex(bytes)).toBe('08011a020801');
  expect(decodeBundleHeader(bytes)).toEqual({ numShards: 1, endianness: 'little', version: { producer: 1, minConsumer: 0, badConsumers: [] } });
});

test('entries: defaults omitted, a scalar keeps its empty shape, a zero dim keeps its Dim', () => {
  // DT_INT64 scalar at offset 8, 8 bytes: 08 09 | 12 00 | 20 08 | 28 08 | 35 <crc>
  const scalar = encodeBundleEntry({ dtype: 9, shape: [], shardId: 0, offset: 8, size: 8, crc32c: 0x07980329, slices: [] });
  expect(hex(scalar)).toBe('08091200200828083529039807');
  const empty = encodeBundleEntry({ dtype: 1, shape: [0, 3], shardId: 0, offset: 0, size: 0, crc32c: 0xa282ead8, slices: [] });
  // shape (field 2) holds two dims (field 2 of TensorShapeProto): size 0 written as an empty Dim.
  expect(hex(empty)).toBe('0801' + '1206' + '1200' + '12020803' + '35d8ea82a2');
  expect(decodeBundleEntry(empty, 'e')).toMatchObject({ dtype: 1, shape: [0, 3], offset: 0, size: 0 });
  const sliced = encodeBundleEntry({
    dtype: 1,
    shape: [4],
    shardId: 0,
    offset: 0,
    size: 0,
    crc32c: 0,
    slices: [[{ start: 0, length: 2 }], [{ start: 2, length: 2 }], [{ start: 0 }]],
  });
  expect(decodeBundleEntry(sliced, 's').slices).toEqual([[{ start: 0, length: 2 }], [{ start: 2, length: 2 }], [{ start: 0 }]]);
});
