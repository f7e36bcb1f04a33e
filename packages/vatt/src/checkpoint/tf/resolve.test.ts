// Finding the checkpoint in a directory, as tf.train.latest_checkpoint and SavedModel loading do.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { openTfCheckpoint, resolveTfCheckpoint } from './bundle-reader.js';
import { writeTfCheckpoint } from './bundle-writer.js';
import { describeFixtures, FIXTURES, tempDir } from './test-fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await tempDir('resolve');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const one = { x: { dtype: 'float32', shape: [1], data: [1] } } as const;

test('prefix, .index path, "checkpoint" state file, SavedModel folder, single index', async () => {
  await writeTfCheckpoint(path.join(dir, 'ckpt-1'), one);
  await writeTfCheckpoint(path.join(dir, 'ckpt-2'), one);
  expect(await resolveTfCheckpoint(path.join(dir, 'ckpt-1'))).toBe(path.join(dir, 'ckpt-1'));
  expect(await resolveTfCheckpoint(path.join(dir, 'ckpt-1.index'))).toBe(path.join(dir, 'ckpt-1'));
  await expect(resolveTfCheckpoint(dir)).rejects.toThrow(/holds 2 checkpoints \(ckpt-1.index, ckpt-2.index\) and no "checkpoint" file/);
  await fs.writeFile(
    path.join(dir, 'checkpoint'),
    'model_checkpoint_path: "ckpt-2"\nall_model_checkpoint_paths: "ckpt-1"\nall_model_checkpoint_paths: "ckpt-2"\n',
  );
  expect(await resolveTfCheckpoint(dir)).toBe(path.join(dir, 'ckpt-2'));
  const r = await openTfCheckpoint(dir);
  expect(r.prefix).toBe(path.join(dir, 'ckpt-2'));
  await r.close();

  const saved = path.join(dir, 'saved_model');
  await writeTfCheckpoint(path.join(saved, 'variables', 'variables'), one);
  expect(await resolveTfCheckpoint(saved)).toBe(path.join(saved, 'variables', 'variables'));
  await expect(resolveTfCheckpoint(path.join(saved, 'assets'))).resolves.toBe(path.join(saved, 'assets'));
  await fs.mkdir(path.join(dir, 'empty'));
  await expect(resolveTfCheckpoint(path.join(dir, 'empty'))).rejects.toThrow(/no TensorFlow checkpoint in .*empty: no "checkpoint" file/);
});

describeFixtures('fixture folders', () => {
  test('a fixture folder resolves to its variables prefix', async () => {
    expect(await resolveTfCheckpoint(path.join(FIXTURES, 'module_sgd'))).toBe(path.join(FIXTURES, 'module_sgd', 'variables'));
  });
});
