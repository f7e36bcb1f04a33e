/**
 * Zero-shot retrieval between modalities (docs/numerics.md §8.4): text->video and video->text in
 * S_vt, video->audio in S_va, cosine similarity of L2-normalised embeddings, official R@K / MedR.
 */
import type { Clip } from '../data/clips.js';
import { encodeAudio, encodeText, encodeVideo, similarity, type EncodeOptions } from '../model/encode.js';
import type { VattPreprocessor } from '../model/preprocess.js';
import type { VATT } from '../model/vatt.js';
import { retrievalMetrics, retrievalRanks, type RetrievalMetrics } from './retrieval.js';

export interface ZeroShotReport {
  numClips: number;
  textToVideo: RetrievalMetrics;
  videoToText: RetrievalMetrics;
  videoToAudio: RetrievalMetrics;
}

/** Each clip's first caption is its query; clip i is the target of query i. */
export async function zeroShotRetrieval(model: VATT, pre: VattPreprocessor, clips: readonly Clip[], opts: EncodeOptions = {}): Promise<ZeroShotReport> {
  const n = clips.length;
  if (n < 2) throw new Error(`zero-shot retrieval needs at least 2 clips, got ${n}`);
  const v = await encodeVideo(
    model,
    pre,
    clips.map((c) => c.video),
    opts,
  );
  const a = await encodeAudio(
    model,
    pre,
    clips.map((c) => c.audio),
    opts,
  );
  const t = await encodeText(
    model,
    pre,
    clips.map((c) => c.captions[0] ?? ''),
    opts,
  );
  const identity = Int32Array.from({ length: n }, (_, i) => i);
  const tv = similarity(t.vt, v.vt);
  const vt = similarity(v.vt, t.vt);
  const va = similarity(v.va, a.va);
  return {
    numClips: n,
    textToVideo: retrievalMetrics(retrievalRanks(tv, n, n, identity), n),
    videoToText: retrievalMetrics(retrievalRanks(vt, n, n, identity), n),
    videoToAudio: retrievalMetrics(retrievalRanks(va, n, n, identity), n),
  };
}

/** A printable table of a report: each metric next to its chance level. */
export function formatZeroShot(r: ZeroShotReport): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(7);
  const rows = [
    ['task', 'R@1', 'R@5', 'R@10', 'MedR', '|', 'chance R@1', 'R@5', 'R@10', 'MedR'],
    ...(
      [
        ['text->video', r.textToVideo],
        ['video->text', r.videoToText],
        ['video->audio', r.videoToAudio],
      ] as const
    ).map(([name, m]) => [
      name,
      pct(m.R1),
      pct(m.R5),
      pct(m.R10),
      m.MedR.toFixed(1),
      '|',
      pct(m.chance.R1),
      pct(m.chance.R5),
      pct(m.chance.R10),
      m.chance.MedR.toFixed(1),
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  return [`zero-shot retrieval over ${r.numClips} clips`, ...rows.map((row) => row.map((cell, c) => cell.padStart(widths[c])).join('  '))].join('\n');
}
