/**
 * `vatt export onnx`, `vatt search`, and what `vatt embed` / `vatt eval retrieval` share for the onnx
 * engine: the `--engine` option, opening an `Embedder` on a checkpoint or an exported folder, and the
 * batch `vatt embed <model> --data <source> --out DIR` mode with its progress bar.
 */
import { Option, type Command } from 'commander';
import * as path from 'node:path';
import { setupBackend, type BackendChoice } from '../backend.js';
import { EmbedInterrupted, embedDataset, readEmbeddingIndex } from '../onnx/batch-embed.js';
import { EMBEDDER_ENGINES, type Embedder, type EmbedderEngine } from '../onnx/embedder.js';
import { TOWER_NAMES, type TowerName } from '../onnx/manifest.js';
import { exportOnnx, isOnnxFolder, openEmbedder } from '../onnx/node.js';
import { searchIndex, type SearchSpace } from '../onnx/search.js';
import { backendOption, int, out, writeJsonAtomic } from './args.js';
import { progressReporter } from './progress.js';

/** A parser for an integer option >= 1 (`--batch-size`, `--chunk`, `--top`). */
export const positiveInt = (name: string) => int(name, 1);

/** `--engine tfjs|onnx` (default: onnx for an exported folder, tfjs for a checkpoint). */
export const engineOption = () =>
  new Option(
    '--engine <name>',
    'tfjs (the checkpoint on a tfjs backend) or onnx (onnxruntime: an exported folder, or the checkpoint exported on the fly)',
  ).choices(EMBEDDER_ENGINES);

/**
 * An `Embedder` for a command: the tfjs engine on `--backend`, or onnxruntime-node (a checkpoint is exported
 * to a temporary folder first, on the tfjs cpu backend, which only reads the weights).
 */
export async function openCliEmbedder(source: string, o: Record<string, unknown>): Promise<Embedder> {
  const engine = (o.engine as EmbedderEngine | undefined) ?? (isOnnxFolder(source) ? 'onnx' : 'tfjs');
  if (engine === 'tfjs') await setupBackend((o.backend as BackendChoice) ?? 'auto');
  else if (!isOnnxFolder(source)) await setupBackend('cpu');
  const embedder = await openEmbedder(source, { engine });
  out(`engine: ${embedder.description}; model: ${source}`);
  return embedder;
}

interface EmbedProgress {
  done: number;
  total: number;
  embedded: number;
  skipped: number;
  rate: string;
}

/** Embedding progress: a bar on a terminal, a JSON line per ~5% otherwise. */
function progressBar(quiet: boolean) {
  return progressReporter<EmbedProgress>({
    quiet,
    every: 0.05,
    format: 'embed |{bar}| {value}/{total} samples | {embedded} embedded, {skipped} skipped | {rate} samples/s | eta {eta_formatted}',
    position: (p) => ({ done: p.done, total: p.total, fields: { embedded: p.embedded, skipped: p.skipped, rate: p.rate } }),
    line: (p) => JSON.stringify({ embed: p.done, of: p.total, embedded: p.embedded, skipped: p.skipped, samples_per_s: p.rate }),
  });
}

/**
 * `vatt embed <model> --data <source> --out DIR`: every clip of the source into an index folder (.npy files,
 * ids.json, index.json), streaming and resumable; Ctrl-C stops after the part in progress.
 */
export async function commandEmbedIndex(source: string, o: Record<string, unknown>): Promise<void> {
  const outDir = String(o.out);
  const split = (o.split as string | undefined) ?? 'eval';
  if (split !== 'eval' && split !== 'train') throw new Error(`--split must be eval or train, got "${split}"`);
  const embedder = await openCliEmbedder(source, o);
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\nstopping after the part in progress (Ctrl-C again to quit now; run the same command to continue)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const bar = progressBar(Boolean(o.quiet));
  const t0 = performance.now();
  try {
    const info = await embedDataset(embedder, String(o.data), outDir, {
      modelSource: source,
      batchSize: o.batchSize as number | undefined,
      chunkSize: o.chunk as number | undefined,
      split,
      seed: embedder.training?.seed,
      overwrite: Boolean(o.overwrite),
      signal: controller.signal,
      onSkip: (id, reason) => process.stderr.write(`skipped sample ${id}: ${reason}\n`),
      onProgress: (p) => bar.update({ ...p, rate: ((p.done - p.resumed) / Math.max(1e-3, (performance.now() - t0) / 1000)).toFixed(1) }),
    });
    bar.stop();
    const files = Object.entries(info.files).map(([k, [r, c]]) => `${k}.npy [${r}, ${c}]`);
    out(`wrote ${outDir}: ${info.count} clips (${info.skipped.length} skipped) from ${info.source.description}; ${files.join(', ')}; ids.json, index.json`);
  } catch (e) {
    bar.stop();
    if (e instanceof EmbedInterrupted) {
      out(e.message);
      process.exitCode = 130;
      return;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
    await embedder.dispose();
  }
}

async function commandExportOnnx(ckpt: string, o: Record<string, unknown>): Promise<void> {
  await setupBackend('cpu');
  const towers = o.towers ? String(o.towers).split(',') : [...TOWER_NAMES];
  const bad = towers.filter((t) => !TOWER_NAMES.includes(t as TowerName));
  if (bad.length) throw new Error(`--towers: unknown tower(s) ${bad.join(', ')}; expected a comma-separated list of ${TOWER_NAMES.join(', ')}`);
  const outDir = String(o.out);
  const t0 = performance.now();
  const manifest = await exportOnnx(ckpt, outDir, {
    towers: towers as TowerName[],
    onTower: (t, bytes) => out(`${t}.onnx: ${(bytes / 2 ** 20).toFixed(1)} MiB`),
  });
  out(
    `exported ${manifest.model.variant} VATT (${Object.keys(manifest.towers).join(', ')}; opset ${manifest.opset}) to ${outDir} in ` +
      `${((performance.now() - t0) / 1000).toFixed(1)} s; ${path.join(outDir, 'manifest.json')} holds the configs and vocabulary`,
  );
}

async function commandSearch(indexDir: string, words: string[], o: Record<string, unknown>): Promise<void> {
  const index = await readEmbeddingIndex(indexDir);
  const text = words.length ? words.join(' ') : undefined;
  const like = o.like as string | undefined;
  if (!text && !like) throw new Error('search: give a query ("a dog barks in the rain") or --like <id or video file>');
  const target = o.audio ? 'audio' : 'video';
  const needsModel = text !== undefined || (like !== undefined && !index.entries.some((e) => e.id === like));
  const modelSource = (o.model as string | undefined) ?? index.info.model.source;
  const embedder = needsModel ? await openCliEmbedder(modelSource, { ...o, engine: o.engine ?? index.info.model.engine }) : undefined;
  try {
    const top = (o.top as number | undefined) ?? 10;
    const hits = await searchIndex(index, embedder, { text, like, target, space: o.space as SearchSpace | undefined }, { top });
    const space = text !== undefined ? 'vt' : ((o.space as string | undefined) ?? 'va');
    const what = text !== undefined ? `"${text}"` : `like ${like}`;
    out(`search ${what}: ${text !== undefined ? 'text' : 'video'} -> ${target} in S_${space}, ${index.entries.length} clips in ${indexDir}`);
    const rows = [['rank', 'score', 'id', 'file'], ...hits.map((h) => [String(h.rank), h.score.toFixed(4), h.entry.id, h.entry.video ?? h.entry.audio ?? ''])];
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    for (const r of rows)
      out(
        r
          .map((cell, c) => (c < 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
          .join('  ')
          .trimEnd(),
      );
    if (typeof o.json === 'string') await writeJsonAtomic(o.json, { query: { text, like, target, space }, hits });
  } finally {
    await embedder?.dispose();
  }
}

/**
 * Registers `vatt export onnx` (under an existing `export` command, if any) and `vatt search`.
 *
 * @example
 * const program = new Command('vatt');
 * registerOnnxCommands(program); // vatt export onnx <ckpt> --out DIR; vatt search DIR "a dog barks" --top 10
 */
export function registerOnnxCommands(program: Command): void {
  // `export` may already exist (vatt export tf registers under it too): add `onnx` to it.
  const exportCmd = program.commands.find((c) => c.name() === 'export') ?? program.command('export').description('export a checkpoint to another format');
  exportCmd
    .command('onnx <checkpoint>')
    .description('the video, audio and text towers with their S_va / S_vt projections as ONNX graphs (opset 17, dynamic batch) + manifest.json')
    .requiredOption('--out <dir>', 'output folder (video.onnx, audio.onnx, text.onnx, manifest.json)')
    .option('--towers <list>', `comma-separated subset of ${TOWER_NAMES.join(',')}`)
    .action(commandExportOnnx);
  program
    .command('search <index> [query...]')
    .description('search an index written by `vatt embed --data ... --out DIR`: text -> video (S_vt), --audio: text -> audio, --like: video -> video (S_va)')
    .option('--top <n>', 'results to print', positiveInt('--top'), 10)
    .option('--like <id-or-file>', 'rank by similarity to this clip of the index (its id) or this video file')
    .option('--audio', 'rank the audio tracks instead of the videos', false)
    .addOption(new Option('--space <space>', 'embedding space of a --like search (default va)').choices(['va', 'vt', 'features']))
    .option('--model <path>', 'checkpoint or ONNX folder to embed the query with (default: the one the index was made with)')
    .addOption(engineOption())
    .addOption(backendOption())
    .option('--json <file>', 'also write the results as JSON')
    .action(commandSearch);
}
