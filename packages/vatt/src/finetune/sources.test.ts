/**
 * The published benchmark layouts (ESC-50, UCF101, HMDB51, Kinetics) as labelled sources: layout
 * detection, official splits, class names, views per example, and skipped missing files. Media are
 * real files: sonic-pi-samples recordings for ESC-50, ffmpeg-encoded test patterns for the videos.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getPreset } from '../config/index.js';
import { openDataset } from '@vatt/data';
import { loadLabelledSource } from './sources.js';

const SONIC = '/usr/share/sonic-pi/samples';
const pre = getPreset('tiny').preprocessing;
let tmp: string;

/** A 1 s clip of an ffmpeg test pattern (lavfi source), 64x48 at 12 fps, MPEG-4 in AVI. */
function pattern(file: string, source: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const r = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `${source}=size=64x48:rate=12:duration=1`, '-c:v', 'mpeg4', file]);
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'vatt-datasets-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test('ESC-50: 50-class layout read with its category names, one fold held out, missing files skipped', async () => {
  expect(existsSync(SONIC)).toBe(true); // Debian sonic-pi-samples (.ci/run installs it)
  const root = path.join(tmp, 'ESC-50');
  mkdirSync(path.join(root, 'meta'), { recursive: true });
  mkdirSync(path.join(root, 'audio'));
  const rows = ['filename,fold,target,category,esc10,src_file,take'];
  const kinds: Array<[string, number, string]> = [
    ['bd', 31, 'mouse_click'],
    ['elec', 7, 'insects'],
    ['tabla', 0, 'dog'],
  ];
  for (const [prefix, target, category] of kinds) {
    const files = readdirSync(SONIC)
      .filter((f) => f.startsWith(`${prefix}_`))
      .slice(0, 4);
    files.forEach((f, i) => {
      const name = `${i + 1}-${prefix}${i}-A-${target}.wav`; // ffmpeg reads the FLAC inside whatever the name
      symlinkSync(path.join(SONIC, f), path.join(root, 'audio', name));
      rows.push(`${name},${i + 1},${target},${category},False,${prefix}${i},A`);
    });
  }
  rows.push('2-gone-A-0.wav,2,0,dog,False,gone,A'); // listed, not on disk
  writeFileSync(path.join(root, 'meta', 'esc50.csv'), `${rows.join('\n')}\n`);
  expect((await openDataset(root)).kind).toBe('esc50');
  const s = await loadLabelledSource(root, pre, { split: 2, clips: 2 });
  expect(s.modality).toBe('audio');
  expect(s.classes).toEqual(['dog', 'insects', 'mouse_click']); // ordered by target 0, 7, 31
  expect(s.test).toHaveLength(3); // fold 2: one file per class (the missing one skipped)
  expect(s.train).toHaveLength(9);
  expect(s.description).toMatch(/fold 2 held out; 1 samples skipped \(media file missing\)/);
  expect(s.test.map((e) => e.label).sort()).toEqual([0, 1, 2]);
  for (const e of s.train) {
    expect(e.views).toHaveLength(2);
    expect(e.views[0]).toBeInstanceOf(Float32Array);
    expect(e.views[0].length).toBe(pre.audio.samples);
  }
  await expect(loadLabelledSource(root, pre, { split: 6 })).rejects.toThrow(/split 6: ESC-50 has splits 1-5/);
});

test('UCF101, HMDB51 and Kinetics: official splits, video clips at the model size (3 crops when testing)', async () => {
  const sources = ['testsrc', 'smptebars'];
  // UCF101: ucfTrainTestlist/ beside UCF-101/<Class>/<file>.avi
  const ucf = path.join(tmp, 'ucf');
  mkdirSync(path.join(ucf, 'ucfTrainTestlist'), { recursive: true });
  const classes = ['Archery', 'Bowling'];
  writeFileSync(path.join(ucf, 'ucfTrainTestlist', 'classInd.txt'), '1 Archery\n2 Bowling\n');
  const trainList: string[] = [];
  const testList: string[] = [];
  classes.forEach((c, ci) => {
    for (let g = 1; g <= 3; g++) {
      const rel = `${c}/v_${c}_g0${g}_c01.avi`;
      pattern(path.join(ucf, 'UCF-101', rel), sources[ci]);
      if (g < 3) trainList.push(`${rel} ${ci + 1}`);
      else testList.push(rel);
    }
  });
  writeFileSync(path.join(ucf, 'ucfTrainTestlist', 'trainlist01.txt'), `${trainList.join('\n')}\n`);
  writeFileSync(path.join(ucf, 'ucfTrainTestlist', 'testlist01.txt'), `${testList.join('\n')}\n`);
  expect((await openDataset(ucf)).kind).toBe('ucf101');
  const u = await loadLabelledSource(ucf, pre, { clips: 2 });
  expect([u.modality, u.classes, u.train.length, u.test.length]).toEqual(['video', classes, 4, 2]);
  const clipSize = pre.video.frames * pre.video.height * pre.video.width * 3;
  expect(u.train[0].views).toHaveLength(2); // 2 clips, centre crop
  expect(u.test[0].views).toHaveLength(6); // 2 clips x 3 crops
  for (const v of [...u.train[0].views, ...u.test[0].views]) expect(v.length).toBe(clipSize);

  // HMDB51: testTrainMulti_7030_splits/<class>_test_split1.txt beside <class>/<file>.avi
  const hmdb = path.join(tmp, 'hmdb');
  mkdirSync(path.join(hmdb, 'testTrainMulti_7030_splits'), { recursive: true });
  ['brush_hair', 'cartwheel'].forEach((c, ci) => {
    const lines: string[] = [];
    for (let i = 0; i < 3; i++) {
      pattern(path.join(hmdb, c, `${c}_${i}.avi`), sources[ci]);
      lines.push(`${c}_${i}.avi ${i === 2 ? 2 : 1}`);
    }
    lines.push(`${c}_unused.avi 0`);
    writeFileSync(path.join(hmdb, 'testTrainMulti_7030_splits', `${c}_test_split1.txt`), `${lines.join('\n')}\n`);
  });
  expect((await openDataset(hmdb)).kind).toBe('hmdb51');
  const h = await loadLabelledSource(hmdb, pre, { clips: 1 });
  expect([h.classes, h.train.length, h.test.length]).toEqual([['brush_hair', 'cartwheel'], 4, 2]);
  expect(h.test.map((e) => e.label).sort()).toEqual([0, 1]);

  // Kinetics: train.csv + validate.csv, clips in per-label folders under videos/; one clip missing.
  const kin = path.join(tmp, 'kinetics');
  mkdirSync(kin, { recursive: true });
  const csv = (rows: string[]) => `label,youtube_id,time_start,time_end,split\n${rows.join('\n')}\n`;
  const train: string[] = [];
  const val: string[] = [];
  ['abseiling', 'air drumming'].forEach((label, li) => {
    for (let i = 0; i < 3; i++) {
      const id = `yt${li}${i}xxxxxx`;
      pattern(path.join(kin, 'videos', label, `${id}_000010_000020.mp4`), sources[li]);
      (i < 2 ? train : val).push(`"${label}",${id},10,20,${i < 2 ? 'train' : 'validate'}`);
    }
  });
  val.push('"abseiling",missingclip,0,10,validate');
  writeFileSync(path.join(kin, 'train.csv'), csv(train));
  writeFileSync(path.join(kin, 'validate.csv'), csv(val));
  expect((await openDataset(kin)).kind).toBe('kinetics');
  const k = await loadLabelledSource(kin, pre, { clips: 1 });
  expect([k.classes, k.train.length, k.test.length]).toEqual([['abseiling', 'air drumming'], 4, 2]);
  expect(k.description).toMatch(/1 samples skipped/);
  await expect(loadLabelledSource(ucf, pre, { split: 4 })).rejects.toThrow(/split 4: UCF101 has splits 1-3/);
}, 120000);
