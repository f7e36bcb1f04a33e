/**
 * Zero-shot retrieval through an `Embedder` (either engine): the protocol of `zeroShotRetrieval`
 * (docs/numerics.md §8.4): text -> video and video -> text in S_vt, video -> audio in S_va, each clip's
 * first caption its query, cosine similarity, official R@K / MedR.
 */
import type { Clip } from '../data/clips.js';
import type { EncodeOptions } from '../model/encode.js';
import { retrievalWith, type ZeroShotReport } from '../eval/zero-shot.js';
import type { Embedder } from './embedder.js';

/**
 * `zeroShotRetrieval` on an `Embedder`.
 *
 * @example
 * const report = await embedderRetrieval(await openEmbedder('runs/a', { engine: 'onnx' }), embeddedSplits(pre, 0).heldout);
 * console.log(formatZeroShot(report));
 */
export async function embedderRetrieval(embedder: Embedder, clips: readonly Clip[], opts: EncodeOptions = {}): Promise<ZeroShotReport> {
  return retrievalWith(embedder, clips, opts);
}
