// Damaged copies of a real checkpoint (made in a temporary directory; the fixtures stay untouched):
// every kind of damage is an error that says what and where.
import { promises as fs, readFileSync } from 'node:fs';
import { openTfCheckpoint } from './bundle-reader.js';
import { TfCheckpointError } from './errors.js';
import { readFooter } from './table.js';
import { copyFixture, describeFixtures, flipByte, tempDir } from './test-fixtures.js';

const KERNEL0 = 'layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE';

let dir: string;
let prefix: string;
beforeEach(async () => {
  dir = await tempDir('corrupt');
  prefix = await copyFixture('keras_sequential_adam', dir);
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function error(p: Promise<unknown>): Promise<TfCheckpointError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(TfCheckpointError);
    return e as TfCheckpointError;
  }
  throw new Error('expected an error');
}

describeFixtures('corrupted checkpoints', () => {
  test('a flipped byte in the data file names the tensor, the file and the offset', async () => {
    const data = `${prefix}.data-00000-of-00001`;
    await flipByte(data, 10); // inside the first kernel, bytes [0, 100)
    const r = await openTfCheckpoint(prefix);
    const e = await error(r.readTensor(KERNEL0));
    expect(e.code).toBe('DATA_LOSS');
    expect(e.message).toContain(`Checksum mismatch for tensor "${KERNEL0}" in ${data} (offset 0, 100 bytes)`);
    expect([e.tensor, e.file, e.offset]).toEqual([KERNEL0, data, 0]);
    expect(e.expectedCrc).not.toBe(e.actualCrc);
    // The other tensors still read; iterating everything stops at the damaged one.
    await r.readTensor('layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE');
    const it = async (): Promise<void> => {
      for await (const _ of r);
    };
    await expect(it()).rejects.toThrow(KERNEL0);
    await r.close();
  });

  test('a flipped byte in the string tensor (object graph) is caught too', async () => {
    const data = `${prefix}.data-00000-of-00001`;
    await flipByte(data, 5485 - 1); // the last byte of _CHECKPOINTABLE_OBJECT_GRAPH
    const r = await openTfCheckpoint(prefix);
    await expect(r.readTensor('_CHECKPOINTABLE_OBJECT_GRAPH')).rejects.toThrow(
      `Checksum mismatch for tensor "_CHECKPOINTABLE_OBJECT_GRAPH" in ${data} (offset 832`,
    );
    await flipByte(data, 5485 - 1);
    await flipByte(data, 835); // inside its length checksum (after the 2-byte varint length at 832)
    await expect(r.readTensor('_CHECKPOINTABLE_OBJECT_GRAPH')).rejects.toThrow(/Length checksum mismatch for tensor "_CHECKPOINTABLE_OBJECT_GRAPH"/);
    await r.close();
  });

  test('a flipped byte in the index names the file and the block', async () => {
    const index = `${prefix}.index`;
    await flipByte(index, 20); // inside the single data block
    const e = await error(openTfCheckpoint(prefix));
    expect(e.message).toMatch(
      new RegExp(
        `^${index.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: block checksum mismatch in the data block at offset 0 \\(\\d+ bytes\\): ` +
          'stored crc32c 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}$',
      ),
    );
    expect([e.file, e.offset]).toEqual([index, 0]);

    await flipByte(index, 20);
    const footer = readFooter(readFileSync(index), index);
    await flipByte(index, footer.index.offset + 1); // inside the index block
    await expect(openTfCheckpoint(prefix)).rejects.toThrow(`${index}: block checksum mismatch in the index block at offset ${footer.index.offset}`);
  });

  test('a truncated data file names the tensor and the size it needs', async () => {
    const data = `${prefix}.data-00000-of-00001`;
    await fs.truncate(data, 5000); // the object graph lies at [832, 5485)
    const r = await openTfCheckpoint(prefix);
    await r.readTensor(KERNEL0); // before the cut: fine
    const e = await error(r.readTensor('_CHECKPOINTABLE_OBJECT_GRAPH'));
    expect(e.message).toBe(
      `truncated data file ${data}: tensor "_CHECKPOINTABLE_OBJECT_GRAPH" needs 4653 bytes at offset 832, ` +
        'but the file ends after 5000 bytes (4168 of them available)',
    );
    await r.close();
  });

  test('a truncated index is not an SSTable: bad magic number, or too short for a footer', async () => {
    const index = `${prefix}.index`;
    await fs.truncate(index, 1771 - 10);
    await expect(openTfCheckpoint(prefix)).rejects.toThrow(`${index} is not an SSTable (bad magic number`);
    await fs.truncate(index, 30);
    await expect(openTfCheckpoint(prefix)).rejects.toThrow(`${index} is too short to be an SSTable: 30 bytes, the footer alone is 48 (truncated index file?)`);
    await fs.truncate(index, 0);
    await expect(openTfCheckpoint(prefix)).rejects.toThrow(/too short to be an SSTable: 0 bytes/);
  });

  test('a missing data file is named', async () => {
    const data = `${prefix}.data-00000-of-00001`;
    await fs.rm(data);
    const r = await openTfCheckpoint(prefix); // the index alone opens (TensorFlow opens data files lazily too)
    const e = await error(r.readTensor(KERNEL0));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toBe(`missing data file ${data} (shard 0 of 1 of checkpoint ${prefix}), needed for tensor "${KERNEL0}"`);
    await r.close();
  });

  test('a missing index, and an unknown key', async () => {
    await expect(openTfCheckpoint(`${dir}/nothing`)).rejects.toThrow(`no TensorFlow checkpoint at ${dir}/nothing: ${dir}/nothing.index does not exist`);
    const r = await openTfCheckpoint(`${prefix}.index`); // the .index path works as well as the prefix
    await expect(r.readTensor('nope')).rejects.toThrow(`Key nope not found in checkpoint ${prefix}`);
    await r.close();
  });
});
