/**
 * Zero-shot retrieval between modalities (docs/numerics.md §8.4): text->video and video->text in
 * S_vt, video->audio in S_va, cosine similarity of L2-normalised embeddings, official R@K / MedR.
 */
import type { Clip } from '../data/clips.js';
import {
  encodeAudio,
  encodeText,
  encodeVideo,
  similarity,
  type EncodedAudio,
  type EncodedText,
  type EncodedVideo,
  type EncodeOptions,
} from '../model/encode.js';
import type { VattPreprocessor } from '../model/preprocess.js';
import type { VATT } from '../model/vatt.js';
import { retrievalMetrics, retrievalRanks, type RetrievalMetrics } from './retrieval.js';

export interface ZeroShotReport {
  numClips: number;
  textToVideo: RetrievalMetrics;
  videoToText: RetrievalMetrics;
  videoToAudio: RetrievalMetrics;
}

/** The three encoders retrieval needs: a tfjs model's (`model/encode.ts`) or an `Embedder`'s (either engine). */
export interface RetrievalEncoders {
  encodeVideo(clips: ReadonlyArray<Uint8Array | Float32Array>, opts?: EncodeOptions): Promise<EncodedVideo>;
  encodeAudio(waves: readonly Float32Array[], opts?: EncodeOptions): Promise<EncodedAudio>;
  encodeText(captions: readonly string[], opts?: EncodeOptions): Promise<EncodedText>;
}

/** Each clip's first caption is its query; clip i is the target of query i. */
export async function zeroShotRetrieval(model: VATT, pre: VattPreprocessor, clips: readonly Clip[], opts: EncodeOptions = {}): Promise<ZeroShotReport> {
  return retrievalWith(
    {
      encodeVideo: (x, o) => encodeVideo(model, pre, x, o),
      encodeAudio: (x, o) => encodeAudio(model, pre, x, o),
      encodeText: (x, o) => encodeText(model, pre, x, o),
    },
    clips,
    opts,
  );
}

/** `zeroShotRetrieval` over any encoders (the one implementation of the protocol). */
export async function retrievalWith(encoders: RetrievalEncoders, clips: readonly Clip[], opts: EncodeOptions = {}): Promise<ZeroShotReport> {
  const n = clips.length;
  if (n < 2) throw new Error(`zero-shot retrieval needs at least 2 clips, got ${n}`);
  const v = await encoders.encodeVideo(
    clips.map((c) => c.video),
    opts,
  );
  const a = await encoders.encodeAudio(
    clips.map((c) => c.audio),
    opts,
  );
  const t = await encoders.encodeText(
    clips.map((c) => c.captions[0] ?? ''),
    opts,
  );
  const identity = Int32Array.from({ length: n }, (_, i) => i);
  return {
    numClips: n,
    textToVideo: retrievalMetrics(retrievalRanks(similarity(t.vt, v.vt), n, n, identity), n),
    videoToText: retrievalMetrics(retrievalRanks(similarity(v.vt, t.vt), n, n, identity), n),
    videoToAudio: retrievalMetrics(retrievalRanks(similarity(v.va, a.va), n, n, identity), n),
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
