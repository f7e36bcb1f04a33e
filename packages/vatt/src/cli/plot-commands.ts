/**
 * `vatt plot curves <run-dir>`, `vatt plot similarity <checkpoint>` and `vatt plot tsne <checkpoint>`:
 * SVG figures (PNG too with --png) of a run and of a checkpoint on the embedded held-out split.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { setupBackend, type BackendChoice } from '../backend.js';
import { backendOption, out, resolveCheckpoint } from './args.js';
import { embeddedSplits } from '../data/embedded.js';
import { encodeText, encodeVideo } from '../model/encode.js';
import type { LoadedVatt } from '../model/from-checkpoint.js';
import { loadVatt } from '../model/load.js';
import { similarityPlot, trainingCurvesPlot, tsnePlot } from '../plot/plots.js';
import { writePlot } from '../plot/write.js';
import { EMBEDDED_LABELS, type EmbeddedLabel } from '../finetune/sources.js';
import type { PretrainState } from '../train/pretrain.js';

/** The attributes of an embedded clip that `plot tsne --label` can colour by. */
export const TSNE_LABELS = Object.keys(EMBEDDED_LABELS) as EmbeddedLabel[];
export type TsneLabel = EmbeddedLabel;

interface PlotOptions {
  out?: string;
  png: boolean;
  backend: BackendChoice;
}

function positive(name: string, integer: boolean) {
  return (v: string) => {
    const n = Number(v);
    if (!(n > 0) || (integer && !Number.isInteger(n)))
      throw new InvalidArgumentError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got "${v}"`);
    return n;
  };
}

async function save(file: string, svg: string, png: boolean) {
  for (const f of await writePlot(file, svg, { png })) out(`wrote ${f}`);
}

/** Loads a checkpoint and the embedded held-out split it was trained next to (same seed). */
async function heldoutOf(ckptArg: string, backend: BackendChoice) {
  await setupBackend(backend);
  const dir = await resolveCheckpoint(ckptArg);
  const loaded: LoadedVatt<PretrainState> = await loadVatt<PretrainState>(dir);
  const splits = embeddedSplits(loaded.preprocessing, loaded.training?.seed ?? 0);
  return { dir, loaded, clips: splits.dataset.heldout };
}

export async function commandPlotCurves(runDir: string, o: PlotOptions): Promise<void> {
  const log = path.join(runDir, 'log.jsonl');
  const text = await fs.readFile(log, 'utf8').catch(() => {
    throw new Error(`plot curves: no training log at ${log} (expected a run directory written by \`vatt pretrain --out\`)`);
  });
  await save(o.out ?? path.join(runDir, 'plots', 'curves.svg'), trainingCurvesPlot(text, path.basename(path.resolve(runDir))), o.png);
}

export async function commandPlotSimilarity(ckptArg: string, o: PlotOptions): Promise<void> {
  const { loaded, clips } = await heldoutOf(ckptArg, o.backend);
  try {
    const video = await encodeVideo(
      loaded.model,
      loaded.preprocessor,
      clips.map((c) => c.video),
    );
    const text = await encodeText(
      loaded.model,
      loaded.preprocessor,
      clips.map((c) => c.captions[0]),
    );
    const names = clips.map((c) => `${c.attributes.color} ${c.attributes.shape} ${c.attributes.motion}`);
    await save(
      o.out ?? 'similarity.svg',
      similarityPlot(text.vt, video.vt, names, names, `held-out text x video cosine similarity (${clips.length} clips)`),
      o.png,
    );
  } finally {
    loaded.model.dispose();
  }
}

export async function commandPlotTsne(
  ckptArg: string,
  o: PlotOptions & { label: TsneLabel; perplexity: number; iterations: number; seed: number },
): Promise<void> {
  const { loaded, clips } = await heldoutOf(ckptArg, o.backend);
  try {
    const video = await encodeVideo(
      loaded.model,
      loaded.preprocessor,
      clips.map((c) => c.video),
    );
    const labels = clips.map((c) => c.attributes[o.label]);
    const perplexity = Math.min(o.perplexity, Math.max(1, Math.floor((clips.length - 1) / 3)));
    // Coloured by colour, each point gets the colour it shows (a grey stands in for white).
    const colors =
      o.label === 'color' ? { red: '#d62728', green: '#2ca02c', blue: '#1f77b4', yellow: '#e6c200', purple: '#9467bd', white: '#9e9e9e' } : undefined;
    const { svg } = tsnePlot(video.features, labels, {
      perplexity,
      iterations: o.iterations,
      seed: o.seed,
      colors,
      title: `t-SNE of held-out video [AGG] features by ${o.label}`,
    });
    await save(o.out ?? `tsne-${o.label}.svg`, svg, o.png);
  } finally {
    loaded.model.dispose();
  }
}

export function registerPlotCommands(program: Command): void {
  const plot = program.command('plot').description('figures: training curves, retrieval similarity matrix, t-SNE of video features (SVG; --png adds PNG)');
  const common = (c: Command) =>
    c.option('--out <file.svg>', 'output SVG file').option('--png', 'also write a PNG next to the SVG (needs @resvg/resvg-js)', false);
  common(
    plot
      .command('curves <run-dir>')
      .description('loss, lossVa, lossVt and learning rate against step, from <run-dir>/log.jsonl (default output <run-dir>/plots/curves.svg)'),
  ).action(commandPlotCurves);
  common(plot.command('similarity <checkpoint>').description('heatmap of held-out caption x video cosine similarities in S_vt (default output similarity.svg)'))
    .addOption(backendOption())
    .action(commandPlotSimilarity);
  common(
    plot
      .command('tsne <checkpoint>')
      .description('t-SNE of held-out video [AGG] features coloured by an attribute (paper Figure 2; default output tsne-<label>.svg)'),
  )
    .addOption(new Option('--label <attribute>', 'colour the points by this attribute').choices(TSNE_LABELS).default('color'))
    .option('--perplexity <x>', 't-SNE perplexity (capped at (points - 1) / 3)', positive('--perplexity', false), 15)
    .option('--iterations <n>', 't-SNE gradient steps', positive('--iterations', true), 500)
    .option(
      '--seed <n>',
      'seed of the initial layout',
      (v) => {
        if (!Number.isInteger(Number(v))) throw new InvalidArgumentError(`--seed must be an integer, got "${v}"`);
        return Number(v);
      },
      0,
    )
    .addOption(backendOption())
    .action(commandPlotTsne);
}
