import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetFormatError } from '../errors.js';
import { inside, readText } from './files.js';
import type { Sample } from './sample.js';

/** Non-empty lines with their 1-based line numbers, fields split on whitespace. */
async function readLines(file: string): Promise<{ fields: string[]; line: number }[]> {
  const text = await readText(file);
  return text
    .split(/\r?\n/)
    .map((raw, i) => ({ fields: raw.trim().split(/\s+/), line: i + 1 }))
    .filter(({ fields }) => fields[0] !== '');
}

function checkSplit(split: number): void {
  if (![1, 2, 3].includes(split)) throw new Error(`expected split 1, 2 or 3, got ${split}`);
}

/**
 * Reads UCF101 split `split` from the `ucfTrainTestlist` folder (`classInd.txt`,
 * `trainlist0N.txt`, `testlist0N.txt`). `label` is the 0-based class index (`classInd` index - 1).
 *
 * @example
 * const { train, test, classes } = await readUcf101Split({ listDir: 'ucfTrainTestlist', videoRoot: '/data/UCF-101', split: 1 });
 * // test[0]: { id: 'ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01', video: '/data/UCF-101/ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi', label: 0, split: 'test' }
 */
export async function readUcf101Split(options: {
  listDir: string;
  videoRoot: string;
  split: 1 | 2 | 3;
}): Promise<{ train: Sample[]; test: Sample[]; classes: string[] }> {
  const { listDir, videoRoot, split } = options;
  checkSplit(split);
  const classFile = join(listDir, 'classInd.txt');
  const classes: string[] = [];
  for (const { fields, line } of await readLines(classFile)) {
    const index = Number(fields[0]);
    if (fields.length !== 2 || !Number.isInteger(index) || index < 1)
      throw new DatasetFormatError(classFile, line, `expected "<index> <ClassName>", got "${fields.join(' ')}"`);
    classes[index - 1] = fields[1];
  }
  const byName = new Map(classes.map((name, i) => [name, i]));
  const read = async (kind: 'train' | 'test'): Promise<Sample[]> => {
    const file = join(listDir, `${kind}list0${split}.txt`);
    return (await readLines(file)).map(({ fields, line }) => {
      const path = fields[0];
      const className = path.split('/')[0];
      const label = byName.get(className);
      if (!path.includes('/') || label === undefined)
        throw new DatasetFormatError(file, line, `expected "<Class>/<file>.avi" with a class from classInd.txt, got "${path}"`);
      if (kind === 'train' && fields[1] !== undefined && Number(fields[1]) !== label + 1) {
        throw new DatasetFormatError(file, line, `class index ${fields[1]} does not match classInd.txt (${className} = ${label + 1})`);
      }
      return { id: path.replace(/\.[^.]+$/, ''), video: inside(videoRoot, path, file, line), label, split: kind };
    });
  };
  return { train: await read('train'), test: await read('test'), classes };
}

/**
 * Reads HMDB51 split `split` from the folder of `<class>_test_split<N>.txt` files
 * (`<file>.avi <0|1|2>`: 1 = train, 2 = test, 0 = unused). `label` is the class name; videos at
 * `<videoRoot>/<class>/<file>.avi`.
 *
 * @example
 * const { train, test } = await readHmdb51Split({ splitDir: 'testTrainMulti_7030_splits', videoRoot: '/data/hmdb51', split: 1 });
 */
export async function readHmdb51Split(options: { splitDir: string; videoRoot: string; split: 1 | 2 | 3 }): Promise<{ train: Sample[]; test: Sample[] }> {
  const { splitDir, videoRoot, split } = options;
  checkSplit(split);
  const suffix = `_test_split${split}.txt`;
  let names: string[];
  try {
    names = (await readdir(splitDir)).filter((n) => n.endsWith(suffix)).sort();
  } catch {
    throw new DatasetFormatError(splitDir, undefined, 'cannot read the HMDB51 split folder');
  }
  if (names.length === 0) throw new DatasetFormatError(splitDir, undefined, `no *${suffix} files found`);
  const train: Sample[] = [];
  const test: Sample[] = [];
  for (const name of names) {
    const className = name.slice(0, -suffix.length);
    const file = join(splitDir, name);
    for (const { fields, line } of await readLines(file)) {
      const [video, flag] = fields;
      if (fields.length !== 2 || !['0', '1', '2'].includes(flag))
        throw new DatasetFormatError(file, line, `expected "<file>.avi <0|1|2>", got "${fields.join(' ')}"`);
      if (flag === '0') continue;
      const sample = { id: `${className}/${video.replace(/\.[^.]+$/, '')}`, video: inside(videoRoot, join(className, video), file, line), label: className };
      if (flag === '1') train.push({ ...sample, split: 'train' });
      else test.push({ ...sample, split: 'test' });
    }
  }
  return { train, test };
}
