/** The three VATT figures, from data to SVG: training curves, text x video similarity, t-SNE of [AGG] features. */
import type { Matrix } from '../model/encode.js';
import { parseTrainingLog, textVideoSimilarity, trainingCurves, tsne, type LoggedStep, type TsneOptions } from './data.js';
import { heatmap, lineChart, scatter, sideBySide } from './svg.js';

/**
 * Loss (total, video-audio NCE, video-text MIL-NCE) and learning rate against step, side by side.
 * Accepts the text of `log.jsonl` or parsed steps.
 *
 * @example
 * const svg = trainingCurvesPlot(await fs.readFile('runs/pretrain/log.jsonl', 'utf8'));
 */
export function trainingCurvesPlot(log: string | readonly LoggedStep[], title = 'pretraining'): string {
  const curves = trainingCurves(typeof log === 'string' ? parseTrainingLog(log) : log);
  return sideBySide([
    lineChart({ title: `${title}: loss`, xLabel: 'step', yLabel: 'loss', series: curves.loss }),
    lineChart({ title: `${title}: learning rate`, xLabel: 'step', yLabel: 'lr', series: [curves.lr] }),
  ]);
}

/**
 * Heatmap of cosine similarities in the joint video-text space S_vt: one row per caption, one column
 * per video. A trained model shows a bright diagonal when the i-th caption describes the i-th video.
 *
 * @example
 * const svg = similarityPlot(text.vt, video.vt, captions, ids);
 */
export function similarityPlot(
  texts: Matrix,
  videos: Matrix,
  textLabels: readonly string[],
  videoLabels: readonly string[],
  title = 'text x video cosine similarity (S_vt)',
): string {
  if (textLabels.length !== texts.rows) throw new Error(`similarityPlot: ${texts.rows} texts but ${textLabels.length} text labels`);
  if (videoLabels.length !== videos.rows) throw new Error(`similarityPlot: ${videos.rows} videos but ${videoLabels.length} video labels`);
  const s = textVideoSimilarity(texts, videos);
  return heatmap({ title, rowLabels: textLabels, colLabels: videoLabels, values: s.values, xLabel: `video (${s.cols})`, yLabel: `text (${s.rows})` });
}

/**
 * 2-D t-SNE of feature rows coloured by class, as in the paper's Figure 2 (video [AGG] features).
 * Returns the SVG and the 2-D points.
 *
 * @example
 * const { svg } = tsnePlot(video.features, heldout.map((c) => c.attributes.color), { seed: 0 });
 */
export function tsnePlot(
  features: Matrix,
  labels: readonly string[],
  options: TsneOptions & { title?: string; colors?: Readonly<Record<string, string>> } = {},
): { svg: string; points: Float32Array } {
  if (labels.length !== features.rows) throw new Error(`tsnePlot: ${features.rows} feature rows but ${labels.length} labels`);
  const points = tsne(features, options);
  const svg = scatter({
    title: options.title ?? 't-SNE of video [AGG] features',
    colors: options.colors,
    points: labels.map((label, i) => ({ x: points[2 * i], y: points[2 * i + 1], label })),
  });
  return { svg, points };
}
