import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openDataset } from './open.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'vatt-open-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test("a folder of a user's own video files is a media folder: one sample per file, ids relative to it", async () => {
  const dir = path.join(tmp, 'mine');
  mkdirSync(path.join(dir, 'holiday'), { recursive: true });
  for (const f of ['holiday/beach.mp4', 'dog.webm', 'notes.txt']) writeFileSync(path.join(dir, f), '');
  const d = await openDataset(dir);
  expect(d.kind).toBe('media-folder');
  expect(d.train.map((s) => s.id)).toEqual(['dog.webm', 'holiday/beach.mp4']);
  expect(d.train[1].video).toBe(path.join(dir, 'holiday', 'beach.mp4'));
  expect(d.test).toEqual(d.train);
});

test('a manifest, class folders, and a folder with nothing recognisable', async () => {
  const m = path.join(tmp, 'm.jsonl');
  writeFileSync(m, `${JSON.stringify({ video: 'a.mp4', captions: ['x'] })}\n`);
  expect((await openDataset(m)).kind).toBe('manifest');
  const split = path.join(tmp, 'split.jsonl');
  writeFileSync(split, ['train', 'test', undefined, 'validation'].map((s, i) => JSON.stringify({ video: `${i}.mp4`, split: s })).join('\n'));
  const d0 = await openDataset(split);
  expect([d0.train.map((s) => s.id), d0.test.map((s) => s.id)]).toEqual([
    ['0.mp4', '2.mp4'],
    ['1.mp4', '3.mp4'],
  ]);
  const classes = path.join(tmp, 'classes');
  for (const c of ['cats', 'dogs']) {
    mkdirSync(path.join(classes, c), { recursive: true });
    for (let i = 0; i < 3; i++) writeFileSync(path.join(classes, c, `${i}.png`), '');
  }
  const d = await openDataset(classes, { testFraction: 1 / 3 });
  expect([d.kind, d.classes, d.modality, d.train.length, d.test.length]).toEqual(['class-folders', ['cats', 'dogs'], 'video', 4, 2]);
  const empty = path.join(tmp, 'empty');
  mkdirSync(empty);
  await expect(openDataset(empty)).rejects.toThrow(/no recognised layout \(a \*\.jsonl manifest, caption\.json/);
  await expect(openDataset(path.join(tmp, 'missing'))).rejects.toThrow(/^.*missing: no such file or directory/);
});
