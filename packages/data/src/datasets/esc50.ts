import { join } from 'node:path';
import { DatasetFormatError } from '../errors.js';
import { inside, readCsv } from './files.js';
import type { Sample } from './sample.js';

/**
 * Reads ESC-50 (`<root>/meta/esc50.csv`, audio in `<root>/audio/`): `label` is the 0-49 `target`,
 * `split` is the fold ('1'..'5'). Use `leaveOneFoldOut` for the 5 evaluation splits (docs/numerics.md §8.5).
 *
 * @example
 * const clips = await readEsc50({ root: '/data/ESC-50' });
 * // [{ id: '1-100032-A-0', audio: '/data/ESC-50/audio/1-100032-A-0.wav', label: 0, split: '1' }, ...]
 */
export async function readEsc50(options: { root: string }): Promise<Sample[]> {
  const csv = join(options.root, 'meta', 'esc50.csv');
  const rows = await readCsv(csv, { required: ['filename', 'fold', 'target', 'category'] });
  return rows.map(({ record, line }) => {
    const fold = Number(record.fold);
    const target = Number(record.target);
    if (!Number.isInteger(fold) || fold < 1 || fold > 5) throw new DatasetFormatError(csv, line, `expected fold 1-5, got "${record.fold}"`);
    if (!Number.isInteger(target) || target < 0 || target > 49) throw new DatasetFormatError(csv, line, `expected target 0-49, got "${record.target}"`);
    return {
      id: record.filename.replace(/\.wav$/, ''),
      audio: inside(join(options.root, 'audio'), record.filename, csv, line),
      label: target,
      split: String(fold),
    };
  });
}

/**
 * Splits samples by their `split` field into train (every other fold) and test (`fold`).
 *
 * @example
 * const { train, test } = leaveOneFoldOut(clips, 1);
 */
export function leaveOneFoldOut(samples: readonly Sample[], fold: number | string): { train: Sample[]; test: Sample[] } {
  const key = String(fold);
  return { train: samples.filter((s) => s.split !== key), test: samples.filter((s) => s.split === key) };
}
