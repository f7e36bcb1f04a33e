/**
 * Zero-shot retrieval through an `Embedder` (either engine): the protocol of `zeroShotRetrieval`
 * (docs/numerics.md §8.4): text -> video and video -> text in S_vt, video -> audio in S_va, each clip's
 * first caption its query, cosine similarity, official R@K / MedR.
 */
import type { Clip } from '../data/clips.js';
import { similarity, type EncodeOptions } from '../model/encode.js';
import { retrievalMetrics, retrievalRanks } from '../eval/retrieval.js';
import type { ZeroShotReport } from '../eval/zero-shot.js';
import type { Embedder } from './embedder.js';

/**
 * `zeroShotRetrieval` on an `Embedder`.
 *
 * @example
 * const report = await embedderRetrieval(await openEmbedder('runs/a', { engine: 'onnx' }), embeddedSplits(pre, 0).heldout);
 * console.log(formatZeroShot(report));
 */
export async function embedderRetrieval(embedder: Embedder, clips: readonly Clip[], opts: EncodeOptions = {}): Promise<ZeroShotReport> {
  const n = clips.length;
  if (n < 2) throw new Error(`zero-shot retrieval needs at least 2 clips, got ${n}`);
  const v = await embedder.encodeVideo(
    clips.map((c) => c.video),
    opts,
  );
  const a = await embedder.encodeAudio(
    clips.map((c) => c.audio),
    opts,
  );
  const t = await embedder.encodeText(
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
