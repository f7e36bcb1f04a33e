/**
 * Zero-shot text<->video retrieval with several captions per video and several clips per video
 * (MSR-VTT / YouCook2 protocol, docs/numerics.md §8.4):
 *
 * - every caption is a query and its video the target (text->video, official R@K / MedR);
 * - video->text: video j's rank is the number of OTHER videos' captions scoring at least as high as its
 *   best caption, so a hit at K means "any of its captions ranks within K" (ties count against it);
 * - a video's embedding is the mean of its N clips' S_vt embeddings, then L2-normalised
 *   (`compute_similarity_eval(average_embeddings=True, normalize=True)`); captions are L2-normalised;
 *   similarity = dot product.
 *
 * @example
 * const videos = [{ clips: [clipA1, clipA2], captions: ['a red circle', 'something red moves'] }, ...];
 * const r = await multiCaptionRetrieval(model, pre, videos);
 * console.log(formatMultiCaption(r)); await fs.writeFile('sim.npy', similarityToNpy(r.similarity));
 */
import { encodeText, encodeVideo, l2NormalizeRows, type EncodeOptions, type Matrix } from '../model/encode.js';
import type { VattPreprocessor } from '../model/preprocess.js';
import type { VATT } from '../model/vatt.js';
import { decodeNpy, encodeNpy, NpyFormatError, parseNpyHeader, type NpyHeader } from '../onnx/npy.js';
import { retrievalMetrics, retrievalRanks, type RetrievalMetrics } from './retrieval.js';

/** One gallery video: N uniformly spaced clips ([T,H,W,3] each, uint8 or float frames as `encodeVideo` takes) and its captions. */
export interface VideoWithCaptions {
  id?: string;
  clips: ReadonlyArray<Uint8Array | Float32Array>;
  captions: readonly string[];
}

/** A [captions x videos] similarity matrix (row-major). */
export interface SimilarityMatrix extends Matrix {
  /** `captionVideo[i]` = the video caption i describes. */
  captionVideo: Int32Array;
}

export interface MultiCaptionReport {
  numVideos: number;
  numCaptions: number;
  /** Clips averaged per video (the most any video had). */
  clipsPerVideo: number;
  textToVideo: RetrievalMetrics;
  videoToText: RetrievalMetrics;
  similarity: SimilarityMatrix;
}

/**
 * Averages consecutive groups of rows (`groupSizes[g]` rows for group g) and L2-normalises each mean:
 * per-clip embeddings -> per-video embeddings (docs/numerics.md §8.4). Also the multi-clip averaging of the probes.
 */
export function averageGroups(rows: Matrix, groupSizes: readonly number[], normalize = true): Matrix {
  const total = groupSizes.reduce((a, b) => a + b, 0);
  if (total !== rows.rows) throw new Error(`averageGroups: group sizes sum to ${total}, expected the ${rows.rows} rows`);
  const out: Matrix = { data: new Float32Array(groupSizes.length * rows.cols), rows: groupSizes.length, cols: rows.cols };
  let r = 0;
  groupSizes.forEach((n, g) => {
    if (!(Number.isInteger(n) && n >= 1)) throw new Error(`averageGroups: group ${g} has size ${n}, expected a positive integer`);
    for (let k = 0; k < n; k++, r++) for (let c = 0; c < rows.cols; c++) out.data[g * rows.cols + c] += rows.data[r * rows.cols + c] / n;
  });
  return normalize ? l2NormalizeRows(out) : out;
}

/** Dot products of every caption row with every video row: [captions, videos]. Inputs must be normalised already. */
function dotRows(a: Matrix, b: Matrix): Float32Array {
  if (a.cols !== b.cols) throw new Error(`similarity: dimension mismatch ${a.cols} vs ${b.cols}`);
  const out = new Float32Array(a.rows * b.rows);
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < b.rows; j++) {
      let s = 0;
      for (let c = 0; c < a.cols; c++) s += a.data[i * a.cols + c] * b.data[j * b.cols + c];
      out[i * b.rows + j] = s;
    }
  return out;
}

/**
 * Video->text ranks from a [captions, videos] similarity: for video j, the number of captions of other
 * videos scoring >= its best own caption (NaN counts against it).
 */
export function videoToTextRanks(sim: SimilarityMatrix): Int32Array {
  const { rows: nCap, cols: nVid, captionVideo } = sim;
  if (captionVideo.length !== nCap) throw new Error(`videoToTextRanks: captionVideo has ${captionVideo.length} entries, expected ${nCap}`);
  const best = new Float64Array(nVid).fill(-Infinity);
  const has = new Uint8Array(nVid);
  for (let i = 0; i < nCap; i++) {
    const v = captionVideo[i];
    if (!(v >= 0 && v < nVid)) throw new Error(`videoToTextRanks: captionVideo[${i}] = ${v} is outside 0..${nVid - 1}`);
    has[v] = 1;
    const s = sim.data[i * nVid + v];
    if (s > best[v] || Number.isNaN(s)) best[v] = Number.isNaN(s) ? -Infinity : Math.max(best[v], s);
  }
  const ranks = new Int32Array(nVid);
  for (let j = 0; j < nVid; j++) {
    if (!has[j]) throw new Error(`videoToTextRanks: video ${j} has no caption`);
    let r = 0;
    for (let i = 0; i < nCap; i++) {
      if (captionVideo[i] === j) continue;
      const s = sim.data[i * nVid + j];
      if (!(s < best[j])) r++;
    }
    ranks[j] = r;
  }
  return ranks;
}

/**
 * Metrics of a caption x video similarity matrix (both directions). The video->text chance levels are
 * exact for a random ranking: P(some of a video's m captions among the top K of all C) averaged over videos.
 */
export function multiCaptionMetrics(sim: SimilarityMatrix): { textToVideo: RetrievalMetrics; videoToText: RetrievalMetrics } {
  const t2v = retrievalRanks(sim.data, sim.rows, sim.cols, sim.captionVideo);
  const perVideo = new Int32Array(sim.cols);
  for (const v of sim.captionVideo) perVideo[v]++;
  const videoToText = retrievalMetrics(videoToTextRanks(sim), sim.rows);
  const c = sim.rows;
  const anyWithin = (k: number) => {
    let total = 0;
    for (const m of perVideo) {
      let miss = 1;
      for (let i = 0; i < k; i++) miss *= Math.max(0, c - m - i) / (c - i);
      total += 1 - miss;
    }
    return total / perVideo.length;
  };
  // Expected best-own rank among the C - m other captions: (C - m) / (m + 1); MedR is 1-based.
  const medR = Array.from(perVideo).reduce((s, m) => s + (c - m) / (m + 1) + 1, 0) / perVideo.length;
  videoToText.chance = { R1: anyWithin(1), R5: anyWithin(5), R10: anyWithin(10), MedR: medR };
  return { textToVideo: retrievalMetrics(t2v, sim.cols), videoToText };
}

/** Similarity of per-clip video and per-caption text S_vt embeddings, grouped into videos. */
export function multiCaptionSimilarity(
  clipEmbeddings: Matrix,
  clipsPerVideo: readonly number[],
  captionEmbeddings: Matrix,
  captionVideo: Int32Array,
): SimilarityMatrix {
  const videos = averageGroups(clipEmbeddings, clipsPerVideo);
  const text = l2NormalizeRows({ ...captionEmbeddings, data: Float32Array.from(captionEmbeddings.data) });
  return { data: dotRows(text, videos), rows: text.rows, cols: videos.rows, captionVideo };
}

/** Encodes every clip and caption and scores both retrieval directions. */
export async function multiCaptionRetrieval(
  model: VATT,
  pre: VattPreprocessor,
  videos: readonly VideoWithCaptions[],
  opts: EncodeOptions = {},
): Promise<MultiCaptionReport> {
  if (videos.length < 2) throw new Error(`multiCaptionRetrieval: needs at least 2 videos, got ${videos.length}`);
  videos.forEach((v, j) => {
    if (!v.clips.length) throw new Error(`multiCaptionRetrieval: video ${v.id ?? j} has no clips`);
    if (!v.captions.length) throw new Error(`multiCaptionRetrieval: video ${v.id ?? j} has no captions`);
  });
  const clips = videos.flatMap((v) => v.clips);
  const captions = videos.flatMap((v) => v.captions);
  const captionVideo = Int32Array.from(videos.flatMap((v, j) => v.captions.map(() => j)));
  const ve = await encodeVideo(model, pre, clips, opts);
  const te = await encodeText(model, pre, captions, opts);
  const similarity = multiCaptionSimilarity(
    ve.vt,
    videos.map((v) => v.clips.length),
    te.vt,
    captionVideo,
  );
  return {
    numVideos: videos.length,
    numCaptions: captions.length,
    clipsPerVideo: Math.max(...videos.map((v) => v.clips.length)),
    ...multiCaptionMetrics(similarity),
    similarity,
  };
}

/**
 * A row-major float32 matrix as a NumPy `.npy` file (format 1.0, '<f4', C order): `np.load` reads it.
 */
export function similarityToNpy(m: Matrix): Uint8Array {
  return encodeNpy(m.data, [m.rows, m.cols]);
}

/** Reads a 2-D '<f4' `.npy` written by `similarityToNpy` (or NumPy). */
export function npyToMatrix(bytes: Uint8Array): Matrix {
  let h: NpyHeader;
  try {
    h = parseNpyHeader(bytes);
  } catch (e) {
    if (e instanceof NpyFormatError) throw new Error(`npyToMatrix: ${e.message}`, { cause: e });
    throw e;
  }
  if (h.descr !== '<f4' || h.fortranOrder || h.shape.length !== 2) throw new Error(`npyToMatrix: expected a C-order 2-D '<f4' array, header ${h.text.trim()}`);
  const { data, shape } = decodeNpy(bytes);
  return { data, rows: shape[0], cols: shape[1] };
}

/** A printable table of a multi-caption report next to chance. */
export function formatMultiCaption(r: MultiCaptionReport): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(7);
  const row = (name: string, m: RetrievalMetrics) => [
    name,
    pct(m.R1),
    pct(m.R5),
    pct(m.R10),
    m.MedR.toFixed(1),
    m.MeanR.toFixed(1),
    `| ${pct(m.chance.R1)}`,
    m.chance.MedR.toFixed(1),
  ];
  const rows = [['task', 'R@1', 'R@5', 'R@10', 'MedR', 'MeanR', '| chance R@1', 'MedR'], row('text->video', r.textToVideo), row('video->text', r.videoToText)];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((x) => x[c].length)));
  return [
    `retrieval: ${r.numVideos} videos x ${r.clipsPerVideo} clip(s), ${r.numCaptions} captions`,
    ...rows.map((x) => x.map((cell, c) => cell.padStart(widths[c])).join('  ')),
  ].join('\n');
}
