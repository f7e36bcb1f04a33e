import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DatasetFormatError,
  kineticsClipId,
  labelIndex,
  leaveOneFoldOut,
  readAudioSetClassIndex,
  readAudioSetSegments,
  readCaptionCsv,
  readCaptionJson,
  readEsc50,
  readHmdb51Split,
  readHowTo100M,
  readKinetics,
  readManifest,
  readMsrVtt,
  readMsrVtt1kA,
  readUcf101Split,
  readYouCook2,
} from '../src/index.js';

const fixtures = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures');
const at = (...p: string[]) => join(fixtures, ...p);

/** Expects a DatasetFormatError naming this file and line. */
async function expectFormatError(promise: Promise<unknown>, file: string, line: number, pattern: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetFormatError);
  const e = error as DatasetFormatError;
  expect({ file: e.file, line: e.line }).toEqual({ file, line });
  expect(e.message).toContain(`${file}:${line}:`);
  expect(e.message).toMatch(pattern);
}

describe('HowTo100M', () => {
  test('caption.json gives one sample per video with sorted timed narrations', async () => {
    const samples = await readHowTo100M({ captionJson: at('howto100m/caption.json'), videoRoot: '/data/h' });
    expect(samples.map((s) => s.id)).toEqual(['nVbIUDjzWY4', '-7fz5V0vRLk']);
    expect(samples[0].video).toBe('/data/h/nVbIUDjzWY4.mp4');
    expect(samples[0].captions).toHaveLength(7);
    expect(samples[0].captions![2]).toEqual({ text: 'add flour bowl', start: 6.5, end: 11.1 });
  });

  test('HowTo100M_v1.csv keeps listed videos and sets the task id as label', async () => {
    const samples = await readHowTo100M({
      captionJson: at('howto100m/caption.json'),
      videoRoot: '/v',
      metadataCsv: at('howto100m/HowTo100M_v1.csv'),
      extension: '.webm',
    });
    expect(samples.map((s) => [s.id, s.label, s.video])).toEqual([
      ['nVbIUDjzWY4', 100, '/v/nVbIUDjzWY4.webm'],
      ['-7fz5V0vRLk', 2071, '/v/-7fz5V0vRLk.webm'],
    ]);
  });

  test('per-video start,end,text CSVs (MIL-NCE release) read the same way, quoted commas kept', async () => {
    const samples = await readHowTo100M({ captionCsvDir: at('howto100m/captions_csv'), videoRoot: '/v' });
    expect(samples).toEqual([
      {
        id: 'nVbIUDjzWY4',
        video: '/v/nVbIUDjzWY4.mp4',
        captions: [
          { text: 'hi guys welcome', start: 0, end: 3.24 },
          { text: 'today, making pancakes', start: 3.24, end: 6.5 },
        ],
      },
    ]);
    expect(await readCaptionCsv(at('howto100m/captions_csv/nVbIUDjzWY4.csv'))).toHaveLength(2);
  });

  test('a caption ending before it starts is reported with file and line', async () => {
    const file = at('malformed/caption_bad_times.json');
    await expectFormatError(readHowTo100M({ captionJson: file, videoRoot: '/v' }), file, 3, /bad time span: video "bad", caption 1: start=9, end=3/);
  });
});

describe('caption.json streaming', () => {
  test('a multi-megabyte caption.json with braces, commas and escaped quotes in text streams correctly; errors keep their line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vatt-captions-'));
    const file = join(dir, 'caption.json');
    const entries = Array.from({ length: 6000 }, (_, i) => {
      const text = Array.from({ length: 20 }, (_, k) => `step {${k}}, "quoted" \\ [${i}]`);
      return `  ${JSON.stringify(`vid${i}`)}: ${JSON.stringify({ start: text.map((_, k) => k), end: text.map((_, k) => k + 1), text })}`;
    });
    writeFileSync(file, `{\n${entries.join(',\n')}\n}\n`);
    const captions = await readCaptionJson(file);
    expect(captions.size).toBe(6000);
    expect(captions.get('vid5999')![19]).toEqual({ text: 'step {19}, "quoted" \\ [5999]', start: 19, end: 20 });
    entries[5000] = entries[5000].replace('"start":[0,', '"start":["x",');
    writeFileSync(file, `{\n${entries.join(',\n')}\n}\n`);
    await expectFormatError(readCaptionJson(file), file, 5002, /video "vid5000", caption 0: start/);
    writeFileSync(file, `{\n${entries.slice(0, 10).join(',\n')}`);
    await expectFormatError(readCaptionJson(file), file, 11, /truncated JSON/);
  });
});

describe('MSR-VTT', () => {
  test('videodatainfo JSON groups the sentences under their video and filters a split', async () => {
    const all = await readMsrVtt({ videodatainfo: at('msrvtt/train_val_videodatainfo.json'), videoRoot: '/m' });
    expect(all).toHaveLength(3);
    expect(all[0]).toEqual({
      id: 'video0',
      video: '/m/video0.mp4',
      captions: ['a car is shown', 'a man drives a vehicle through the countryside'],
      split: 'train',
      label: 9,
    });
    const validate = await readMsrVtt({ videodatainfo: at('msrvtt/train_val_videodatainfo.json'), videoRoot: '/m', split: 'validate' });
    expect(validate.map((s) => s.id)).toEqual(['video6513']);
  });

  test('the 1k-A CSV gives one retrieval pair per row', async () => {
    const pairs = await readMsrVtt1kA({ csv: at('msrvtt/MSRVTT_JSFUSION_test.csv'), videoRoot: '/m' });
    expect(pairs[0]).toEqual({ id: 'ret0', video: '/m/video9770.mp4', captions: ['a person is connecting something to system'], split: 'test' });
    expect(pairs).toHaveLength(2);
  });

  test('a sentence for an unknown video id is reported with file and line', async () => {
    const file = at('malformed/msrvtt_unknown_video.json');
    await expectFormatError(readMsrVtt({ videodatainfo: file, videoRoot: '/m' }), file, 7, /unknown video_id "video42"/);
  });

  test('a non-numeric "start time" is reported with file and line', async () => {
    const file = at('malformed/msrvtt_bad_times.json');
    await expectFormatError(readMsrVtt({ videodatainfo: file, videoRoot: '/m' }), file, 4, /"start time"/);
  });
});

describe('YouCook2', () => {
  test('each annotated segment is one item with its time window and sentence', async () => {
    const items = await readYouCook2({ annotations: at('youcook2/youcookii_annotations_trainval.json'), videoRoot: '/y' });
    expect(items).toHaveLength(3);
    expect(items[1]).toEqual({
      id: 'GLd3aX16zBg_1',
      video: '/y/GLd3aX16zBg.mp4',
      start: 114,
      end: 127,
      captions: ['place a slice of cheese on the bread'],
      split: 'training',
    });
    const validation = await readYouCook2({ annotations: at('youcook2/youcookii_annotations_trainval.json'), videoRoot: '/y', subset: 'validation' });
    expect(validation.map((s) => s.id)).toEqual(['xHr8X2Wpmno_0']);
  });

  test('a segment without its end is reported with file and line', async () => {
    const file = at('malformed/youcook2_bad_segment.json');
    await expectFormatError(readYouCook2({ annotations: file, videoRoot: '/y' }), file, 7, /annotation 1/);
  });
});

describe('Kinetics', () => {
  test('quoted labels, is_cc and the <id>_<start:06d>_<end:06d> file naming', async () => {
    const clips = await readKinetics({ csv: at('kinetics/train.csv'), videoRoot: '/k' });
    expect(clips[0]).toEqual({ id: '--1DO2V4K74_000010_000020', video: '/k/--1DO2V4K74_000010_000020.mp4', label: 'air drumming', split: 'train' });
    const byLabel = await readKinetics({ csv: at('kinetics/train.csv'), videoRoot: '/k', layout: 'byLabel' });
    expect(byLabel[2].video).toBe('/k/dancing ballet/--3ouPhoy2A_000000_000010.mp4');
    expect([...labelIndex(clips).entries()]).toEqual([
      ['air drumming', 0],
      ['dancing ballet', 1],
      ['testifying', 2],
    ]);
    expect(kineticsClipId('abc', 5, 15)).toBe('abc_000005_000015');
  });

  test('test CSVs without a label column are accepted', async () => {
    expect(await readKinetics({ csv: at('kinetics/test.csv'), videoRoot: '/k' })).toEqual([
      { id: '--7VUM9MKg4_000001_000011', video: '/k/--7VUM9MKg4_000001_000011.mp4', split: 'test' },
    ]);
  });

  test('a missing column, a short row and reversed times are reported with file and line', async () => {
    const missing = at('malformed/kinetics_missing_column.csv');
    await expectFormatError(readKinetics({ csv: missing, videoRoot: '/k' }), missing, 1, /missing column\(s\) time_end/);
    const short = at('malformed/kinetics_short_row.csv');
    await expectFormatError(readKinetics({ csv: short, videoRoot: '/k' }), short, 3, /Invalid Record Length/);
    const times = at('malformed/kinetics_bad_times.csv');
    await expectFormatError(readKinetics({ csv: times, videoRoot: '/k' }), times, 3, /bad time span: time_start=94, time_end=84/);
  });
});

describe('ESC-50', () => {
  test('meta/esc50.csv gives audio paths, targets and folds for leave-one-fold-out', async () => {
    const clips = await readEsc50({ root: at('esc50') });
    expect(clips[1]).toEqual({ id: '1-100038-A-14', audio: at('esc50/audio/1-100038-A-14.wav'), label: 14, split: '1' });
    const { train, test } = leaveOneFoldOut(clips, 1);
    expect(test.map((c) => c.id)).toEqual(['1-100032-A-0', '1-100038-A-14']);
    expect(train).toHaveLength(2);
  });
});

describe('AudioSet', () => {
  test('segment CSVs with comment lines, spaces after commas and quoted label lists', async () => {
    const segments = await readAudioSetSegments({ csv: at('audioset/balanced_train_segments.csv'), mediaRoot: '/a' });
    expect(segments).toHaveLength(3);
    expect(segments[0]).toEqual({ id: '--PJHxphWEs', video: '/a/--PJHxphWEs.mp4', labels: ['/m/09x0r', '/t/dd00088'] });
    const named = await readAudioSetSegments({ csv: at('audioset/balanced_train_segments.csv'), mediaRoot: '/a', naming: 'ytid_start_end', extension: '.wav' });
    expect(named[1].video).toBe('/a/--ZhevVpy1s_50.000_60.000.wav');
  });

  test('class_labels_indices.csv maps index, mid and display name (quoted commas kept)', async () => {
    const classes = await readAudioSetClassIndex(at('audioset/class_labels_indices.csv'));
    expect(classes[1]).toEqual({ index: 1, mid: '/m/05zppz', displayName: 'Male speech, man speaking' });
  });

  test('a non-numeric start time is reported with file and line', async () => {
    const file = at('malformed/audioset_bad_time.csv');
    await expectFormatError(readAudioSetSegments({ csv: file, mediaRoot: '/a' }), file, 5, /start_seconds/);
  });
});

describe('UCF101 and HMDB51 split files', () => {
  test('UCF101 classInd + train/test lists give 0-based labels', async () => {
    const { train, test, classes } = await readUcf101Split({ listDir: at('ucf101/ucfTrainTestlist'), videoRoot: '/u', split: 1 });
    expect(classes).toEqual(['ApplyEyeMakeup', 'ApplyLipstick', 'Archery']);
    expect(train.map((s) => s.label)).toEqual([0, 1, 2]);
    expect(test[1]).toEqual({ id: 'Archery/v_Archery_g01_c01', video: '/u/Archery/v_Archery_g01_c01.avi', label: 2, split: 'test' });
  });

  test('a UCF101 class missing from classInd.txt is reported with file and line', async () => {
    const file = at('malformed/ucf/trainlist01.txt');
    await expectFormatError(readUcf101Split({ listDir: at('malformed/ucf'), videoRoot: '/u', split: 1 }), file, 2, /Bowling/);
  });

  test('HMDB51 per-class split files: 1 = train, 2 = test, 0 = unused', async () => {
    const { train, test } = await readHmdb51Split({ splitDir: at('hmdb51/splits'), videoRoot: '/h', split: 1 });
    expect(train.map((s) => s.id)).toEqual(['brush_hair/April_09_brush_hair_u_nm_np1_ba_goo_0', 'cartwheel/AmazingGymnast_cartwheel_f_cm_np1_le_med_2']);
    expect(test.map((s) => s.label)).toEqual(['brush_hair', 'cartwheel']);
    expect(test[0].video).toBe('/h/brush_hair/Atlantis_brush_hair_h_nm_np1_le_goo_0.avi');
  });
});

describe('JSONL manifest', () => {
  test('relative paths resolve against the manifest folder; captions may be plain or timed', async () => {
    const samples = await readManifest(at('manifest/clips.jsonl'));
    expect(samples).toEqual([
      { id: 'videos/a.mp4', video: at('manifest/videos/a.mp4'), captions: ['a dog barks at the door'], label: 'dog' },
      { id: 'b', video: '/abs/b.mp4', audio: at('manifest/sounds/b.wav'), captions: [{ text: 'open the lid', start: 1, end: 2.5 }], split: 'train' },
      { id: 'sounds/c.wav', audio: at('manifest/sounds/c.wav'), label: 3 },
    ]);
  });

  test('bad fields and broken JSON are reported with file and line', async () => {
    const bad = at('malformed/manifest_bad.jsonl');
    await expectFormatError(readManifest(bad), bad, 2, /"captions" must be a list/);
    const broken = at('malformed/manifest_bad_json.jsonl');
    await expectFormatError(readManifest(broken), broken, 2, /invalid JSON/);
  });
});

describe('media names in an index stay inside the dataset folder', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'vatt-escape-'));
  const write = (name: string, text: string) => {
    const file = join(tmp, name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return file;
  };
  const outside = /names the media file "[^"]*\.\.[^"]*", which leads outside the dataset folder/;

  test('Kinetics: a youtube_id or a label with ../ (both layouts)', async () => {
    const flat = write('k/flat.csv', 'youtube_id,time_start,time_end\nabc,1,2\n../../../etc/x,1,2\n');
    await expectFormatError(readKinetics({ csv: flat, videoRoot: '/k' }), flat, 3, outside);
    const byLabel = write('k/label.csv', 'label,youtube_id,time_start,time_end\nok,abc,1,2\n../..,abc,1,2\n');
    await expectFormatError(readKinetics({ csv: byLabel, videoRoot: '/k', layout: 'byLabel' }), byLabel, 3, outside);
    // a name that goes down and up again but stays inside is kept
    const inner = write('k/inner.csv', 'label,youtube_id,time_start,time_end\na/../b,abc,1,2\n');
    expect((await readKinetics({ csv: inner, videoRoot: '/k', layout: 'byLabel' }))[0].video).toBe('/k/b/abc_000001_000002.mp4');
  });

  test('ESC-50, MSR-VTT 1k-A, AudioSet and YouCook2', async () => {
    const esc = write('esc/meta/esc50.csv', 'filename,fold,target,category\n1-1-A-0.wav,1,0,dog\n../../secret.wav,1,0,dog\n');
    await expectFormatError(readEsc50({ root: join(tmp, 'esc') }), esc, 3, outside);
    const msr = write('msr/test.csv', 'key,vid_key,video_id,sentence\nret0,msr0,video0,a cat\nret1,msr1,../../video1,a dog\n');
    await expectFormatError(readMsrVtt1kA({ csv: msr, videoRoot: '/m' }), msr, 3, outside);
    const audioset = write('as/segments.csv', '# YTID, start_seconds, end_seconds, positive_labels\n../x, 0.000, 10.000, "/m/09x0r"\n');
    await expectFormatError(readAudioSetSegments({ csv: audioset, mediaRoot: '/a' }), audioset, 2, outside);
    const yc = write(
      'yc/annotations.json',
      '{"database": {\n"../../v": {"duration": 9, "annotations": [{"segment": [1, 2], "id": 0, "sentence": "stir"}]}}}\n',
    );
    await expectFormatError(readYouCook2({ annotations: yc, videoRoot: '/y' }), yc, 2, outside);
  });

  test('UCF101 and HMDB51 split lists', async () => {
    write('ucf/classInd.txt', '1 Archery\n');
    write('ucf/testlist01.txt', 'Archery/v_Archery_g01_c01.avi\n');
    const train = write('ucf/trainlist01.txt', 'Archery/v_Archery_g01_c01.avi 1\nArchery/../../../x.avi 1\n');
    await expectFormatError(readUcf101Split({ listDir: join(tmp, 'ucf'), videoRoot: '/u', split: 1 }), train, 2, outside);
    const hmdb = write('hmdb/cartwheel_test_split1.txt', 'a.avi 1\n../../b.avi 2\n');
    await expectFormatError(readHmdb51Split({ splitDir: join(tmp, 'hmdb'), videoRoot: '/h', split: 1 }), hmdb, 2, outside);
  });
});
