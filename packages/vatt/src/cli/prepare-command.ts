/**
 * `vatt prepare <source> --out DIR`: decode every sample of a source once (any layout `--data` reads) into
 * shards `vatt pretrain|eval|embed --data DIR` streams back without ffmpeg: WebDataset-style tar (default) or
 * TFRecord SequenceExamples in the layout DMVR / the official VATT input pipeline reads. Sizes, rate and fps
 * default from the experiment config (`--preset` / `--config` / `--set`, as `vatt pretrain` takes them).
 * Resumable: run the same command again after a kill and it goes on where it stopped.
 */
import { Command, Option } from 'commander';
import { join } from 'node:path';
import { buildVocabulary, saveVocabulary } from '@vatt/tokenizers';
import { openDataset, prepareShards, type PrepareProgress, type Sample, type ShardIndex } from '@vatt/data';
import { SHARD_VOCABULARY_FILE } from '../data/sources.js';
import { float, int, out } from './args.js';
import { experimentFromCli } from './pretrain-command.js';
import { progressReporter } from './progress.js';

export interface PrepareCliOptions {
  out: string;
  preset?: string;
  config?: string;
  set?: string[];
  split: 'train' | 'test' | 'all';
  format: 'tar' | 'tfrecord';
  frames: 'auto' | 'raw' | 'jpeg';
  shortSide?: number;
  fps?: number;
  sampleRate?: number;
  maxSeconds?: number;
  minSeconds?: number;
  jpegQuality: number;
  shardSize: number;
  workers?: number;
  seed: number;
  overwrite: boolean;
  retrySkipped: boolean;
  quiet: boolean;
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

/** The samples of `split` of a source, each once (a sample in both splits of an 'all' run is kept once). */
async function splitSamples(source: string, split: PrepareCliOptions['split']): Promise<{ samples: Sample[]; description: string }> {
  const d = await openDataset(source);
  const picked = split === 'train' ? d.train : split === 'test' ? d.test : [...d.train, ...d.test];
  const seen = new Set<string>();
  const samples = picked.filter((s) => !seen.has(s.id) && seen.add(s.id));
  if (samples.length === 0) throw new Error(`${source}: the ${split} split has no samples (${d.description}; try --split all or --split test)`);
  return { samples, description: `${d.kind}: ${d.description}` };
}

/** The skipped samples counted by reason code, e.g. "2 corrupt-media, 1 file-not-found". */
function skipCounts(index: ShardIndex): string {
  const byCode = new Map<string, number>();
  for (const s of index.skipped) byCode.set(s.code, (byCode.get(s.code) ?? 0) + 1);
  return [...byCode]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([c, n]) => `${n} ${c}`)
    .join(', ');
}

/** What a finished (or resumed) prepare wrote, for the summary. */
function summary(index: ShardIndex, o: PrepareCliOptions, seconds: number, stored: number): string[] {
  const t = index.totals;
  const lines = [
    `prepared ${t.samples} samples into ${index.shards.length} ${index.format} shard${index.shards.length === 1 ? '' : 's'} ` +
      `(${mb(t.bytes)} MB, ${index.frames} frames at ${index.settings.shortSide} px, ${index.settings.fps} fps, ` +
      `audio ${index.settings.sampleRate} Hz) in ${o.out}`,
    `this run: ${stored} samples in ${seconds.toFixed(1)} s (${(stored / Math.max(seconds, 1e-3)).toFixed(1)} clips/s)`,
  ];
  if (index.skipped.length) lines.push(`skipped ${index.skipped.length}: ${skipCounts(index)} (each with its reason in ${join(o.out, 'shards.json')})`);
  lines.push(`train from them: vatt pretrain --data ${o.out}`);
  return lines;
}

export async function commandPrepare(source: string, o: PrepareCliOptions): Promise<ShardIndex> {
  const { config } = await experimentFromCli({ preset: o.preset, config: o.config, set: o.set });
  const pre = config.preprocessing;
  const { samples, description } = await splitSamples(source, o.split);
  if (!o.quiet) out(`data: ${description}; preparing ${samples.length} ${o.split === 'all' ? '' : `${o.split} `}samples`);
  const progress = progressReporter<PrepareProgress>({
    quiet: o.quiet,
    format: 'prepare |{bar}| {value}/{total} samples | {skipped} skipped | {mb} MB | {rate} clips/s | eta {eta_formatted}',
    position: (p) => ({ done: p.done, total: p.total, fields: { skipped: p.skipped, mb: mb(p.bytes), rate: p.clipsPerSecond.toFixed(1) } }),
    line: (p) =>
      JSON.stringify({
        prepare: p.done,
        of: p.total,
        skipped: p.skipped,
        mb: +mb(p.bytes),
        clips_per_s: +p.clipsPerSecond.toFixed(2),
        mb_per_s: +(p.bytesPerSecond / 1e6).toFixed(2),
        eta_s: Number.isFinite(p.etaMs) ? Math.round(p.etaMs / 1000) : null,
      }),
  });
  const t0 = performance.now();
  let before: number | undefined;
  let index: ShardIndex;
  try {
    index = await prepareShards(samples, {
      out: o.out,
      format: o.format,
      frames: o.frames,
      size: Math.max(pre.video.height, pre.video.width),
      shortSide: o.shortSide,
      fps: o.fps ?? pre.video.fps,
      sampleRate: o.sampleRate ?? pre.audio.sampleRate,
      maxSeconds: o.maxSeconds,
      minSeconds: o.minSeconds,
      jpegQuality: o.jpegQuality,
      shardBytes: Math.round(o.shardSize * 1e6),
      workers: o.workers,
      seed: o.seed,
      overwrite: o.overwrite,
      retrySkipped: o.retrySkipped,
      onProgress: (p) => {
        before ??= p.done - 1;
        progress.update(p);
      },
    });
  } finally {
    progress.stop();
  }
  if (index.totals.samples === 0) {
    throw new Error(`prepare: none of the ${samples.length} samples could be stored (${skipCounts(index)}; each reason is in ${join(o.out, 'shards.json')})`);
  }
  // Every word of the prepared split's captions, most frequent first: `vatt pretrain --data DIR` cuts it to the
  // model's vocabulary size, which gives the vocabulary it would have built from the media samples themselves.
  const captions = samples.flatMap((s) => (s.captions ?? []).map((c) => (typeof c === 'string' ? c : c.text)));
  await saveVocabulary(join(o.out, SHARD_VOCABULARY_FILE), buildVocabulary(captions));
  const stored = before === undefined ? 0 : index.totals.samples + index.skipped.length - before;
  if (!o.quiet) for (const line of summary(index, o, (performance.now() - t0) / 1000, stored)) out(line);
  return index;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerPrepareCommand(program: Command): void {
  program
    .command('prepare <source>')
    .description(
      'decode a dataset once into shards that train at full speed (vatt pretrain --data DIR): frames at a stored size, ' +
        'audio at the model rate, captions and labels; resumable (run it again after a kill)',
    )
    .requiredOption('--out <dir>', 'the shard folder (shards, shards.json with every skipped sample and why, vocab.txt)')
    .option('--preset <name>', 'sizes, fps and audio rate from this preset (default tiny)')
    .option('--config <file.json>', 'sizes, fps and audio rate from this experiment config')
    .option('--set <key=value>', 'change a config field, e.g. --set preprocessing.video.height=64 (repeatable)', collect)
    .addOption(new Option('--split <split>', 'which split of the source').choices(['train', 'test', 'all']).default('train'))
    .addOption(
      new Option('--format <format>', 'tar (WebDataset) or tfrecord (SequenceExamples as DMVR / the official VATT reads them)')
        .choices(['tar', 'tfrecord'])
        .default('tar'),
    )
    .addOption(
      new Option('--frames <encoding>', 'frame encoding: auto = raw up to a 128 px short side (decodes 5-10x faster), JPEG above (8x smaller)')
        .choices(['auto', 'raw', 'jpeg'])
        .default('auto'),
    )
    .option('--short-side <px>', 'stored frame short side (default: the crop size x 8/7, a margin for random crops)', int('--short-side', 8))
    .option('--fps <n>', 'stored frames per second (default: the config)', float('--fps', 0.1, 120))
    .option('--sample-rate <hz>', 'stored audio rate (default: the config)', int('--sample-rate', 1000))
    .option('--max-seconds <s>', 'store at most this many seconds of each sample (default: all of it)', float('--max-seconds', 0.1))
    .option('--min-seconds <s>', 'skip samples shorter than this (default: only empty ones)', float('--min-seconds', 0))
    .option('--jpeg-quality <q>', 'JPEG quality', int('--jpeg-quality', 1), 90)
    .option('--shard-size <MB>', 'target shard size', float('--shard-size', 0.001), 256)
    .option('--workers <n>', 'parallel decoders, one ffmpeg each (default: the number of cores)', int('--workers', 0))
    .option('--seed <n>', 'seed of the order samples are written in', int('--seed'), 0)
    .option('--overwrite', 'delete what an earlier prepare left in --out and start over', false)
    .option('--retry-skipped', 'on resume, try again the samples an earlier run skipped', false)
    .option('--quiet', 'no progress output', false)
    .action(async (source: string, o: PrepareCliOptions) => {
      if (o.preset !== undefined && o.config !== undefined) throw new Error('give --preset or --config, not both');
      if (o.jpegQuality > 100) throw new Error(`--jpeg-quality must be at most 100, got ${o.jpegQuality}`);
      await commandPrepare(source, o);
    });
}
