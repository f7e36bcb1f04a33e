/**
 * Search over an embedding index (Node): text -> video and text -> audio by cosine similarity in S_vt, and
 * video -> video ("more like this clip", by its id in the index or a video file) in S_va. Retrieval uses
 * cosine similarity of L2-normalised embeddings, as zero-shot retrieval does (docs/numerics.md §8.4).
 */
import type { Sample } from '@vatt/data';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Matrix } from '../model/encode.js';
import { decodeForEmbedding, type EmbeddingIndex, type IndexEntry, type IndexKey } from './batch-embed.js';
import type { Embedder } from './embedder.js';
import { rankByCosine } from './rank.js';

/** One result. */
export interface SearchHit {
  rank: number;
  /** Cosine similarity. */
  score: number;
  /** Row in the index. */
  row: number;
  entry: IndexEntry;
}

/** The embedding space of a search: S_vt (text <-> video / audio), S_va (video <-> video / audio), or the [AGG] features. */
export type SearchSpace = 'vt' | 'va' | 'features';

/** What to search for. */
export interface SearchQuery {
  /** A caption: searched in S_vt. */
  text?: string;
  /** An id of the index, or a video file: searched in `space` (default S_va). */
  like?: string;
  /** Rank the index's videos (default) or its audio tracks. */
  target?: 'video' | 'audio';
  /** Override the space (text queries are always S_vt). */
  space?: SearchSpace;
}

export interface SearchOptions {
  /** Results to return (default 10). */
  top?: number;
}

function matrix(index: EmbeddingIndex, key: IndexKey): Matrix {
  const m = index.matrices[key];
  if (!m) throw new Error(`the index has no ${key}.npy (its files: ${Object.keys(index.matrices).join(', ')})`);
  return m;
}

/**
 * Searches `index` for `query` (see `SearchQuery`); `embedder` embeds a text query or a `like` file (not
 * needed for `like` = an id of the index).
 *
 * @example
 * const index = await readEmbeddingIndex('index/holiday');
 * const hits = await searchIndex(index, embedder, { text: 'a dog barks in the rain' }, { top: 10 });
 * hits[0]; // { rank: 1, score: 0.37, row: 41, entry: { id: 'beach/dog.mp4', video: '/videos/holiday/beach/dog.mp4', ... } }
 */
export async function searchIndex(index: EmbeddingIndex, embedder: Embedder | undefined, query: SearchQuery, opts: SearchOptions = {}): Promise<SearchHit[]> {
  const target = query.target ?? 'video';
  if ((query.text === undefined) === (query.like === undefined)) throw new Error('search: give a text query or --like <id or file>, not both');
  let vector: Float32Array;
  let space: SearchSpace;
  let exclude = -1;
  if (query.text !== undefined) {
    if (!embedder) throw new Error('search: a text query needs the model (the index records it; or pass --model)');
    space = 'vt';
    if (query.space && query.space !== 'vt') throw new Error(`search: text is embedded in S_vt only, not ${query.space}`);
    vector = (await embedder.encodeText([query.text])).vt.data;
  } else {
    space = query.space ?? 'va';
    const like = query.like!;
    const row = index.entries.findIndex((e) => e.id === like);
    const key = `video_${space}` as IndexKey;
    if (row >= 0) {
      const m = matrix(index, key);
      vector = m.data.slice(row * m.cols, (row + 1) * m.cols);
      exclude = row;
    } else if (existsSync(like)) {
      if (!embedder) throw new Error('search: --like <file> needs the model to embed the file');
      const sample: Sample = { id: path.basename(like), video: path.resolve(like) };
      const { clips, skipped } = await decodeForEmbedding([sample], embedder.preprocessing, { workers: 0 });
      if (!clips.length) throw new Error(`search: could not decode ${like}: ${skipped[0]?.reason ?? 'unknown error'}`);
      const v = await embedder.encodeVideo([clips[0].clip.video]);
      vector = v[space].data;
    } else {
      throw new Error(`search: --like ${like} is neither an id of the index nor a file`);
    }
  }
  const m = matrix(index, `${target}_${space}` as IndexKey);
  const keep = (r: number) => r !== exclude && (target !== 'audio' || index.entries[r].hasAudio);
  return rankByCosine(vector, m, { top: opts.top ?? 10, keep }).map((h, i) => ({ rank: i + 1, score: h.score, row: h.row, entry: index.entries[h.row] }));
}
