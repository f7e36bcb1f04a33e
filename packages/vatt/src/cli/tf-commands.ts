/**
 * `vatt import tf`, `vatt export tf`, `vatt inspect tf`: the released VATT TensorFlow checkpoints
 * (google-research/google-research `vatt/`) to and from this project's checkpoints
 * (checkpoint/official/, the layout table in checkpoint/official/layout.ts).
 *
 *   vatt import tf <prefix|dir> --preset bbs --vocab howto100m_en.txt --out checkpoints/vatt-bbs
 *   vatt import tf <prefix> --preset vit-base-k400 --out checkpoints/vit-k400
 *   vatt import tf <prefix> --classifier video --preset bbs [--classes 400] [--frames 32 --size 320] --out DIR
 *   vatt export tf <our checkpoint or run dir> <prefix>
 *   vatt inspect tf <prefix> [--preset NAME] [--json]
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { applyOverrides, resolveModel } from '../config/experiment.js';
import { getExperiment, isPresetName, PRESET_NAMES, type PresetName } from '../config/presets.js';
import { exportOfficialVatt } from '../checkpoint/official/export.js';
import { importOfficialVatt, type ConversionProgress } from '../checkpoint/official/import.js';
import { formatInspectReport, inspectTfCheckpoint } from '../checkpoint/official/inspect.js';
import { CLASSIFIER_PRESET_NAMES, type TargetSpec } from '../checkpoint/official/targets.js';
import { int, out, resolveCheckpoint } from './args.js';
import { progressReporter } from './progress.js';
import { readExperimentFile } from './pretrain-command.js';

const ALL_PRESETS = [...PRESET_NAMES, ...CLASSIFIER_PRESET_NAMES];

interface TargetOptions {
  preset?: string;
  classifier?: 'video' | 'audio';
  classes?: number;
  frames?: number;
  size?: number;
  samples?: number;
}

/** The import target the options describe (named preset, or `--classifier` on a VATT preset). */
function targetOf(o: TargetOptions): TargetSpec | undefined {
  const input = {
    ...(o.frames !== undefined ? { frames: o.frames } : {}),
    ...(o.size !== undefined ? { height: o.size, width: o.size } : {}),
    ...(o.samples !== undefined ? { samples: o.samples } : {}),
  };
  if (o.classifier) {
    if (!o.preset) throw new InvalidArgumentError('--classifier needs --preset: the VATT preset whose tower was fine-tuned (bbs, mbs, lbs, ma-medium, ...)');
    if (!(PRESET_NAMES as readonly string[]).includes(o.preset)) {
      throw new InvalidArgumentError(`--classifier ${o.classifier}: --preset must be a VATT preset (${PRESET_NAMES.join(', ')}), got "${o.preset}"`);
    }
    return { classifier: o.classifier, preset: o.preset as PresetName, ...(o.classes !== undefined ? { classes: o.classes } : {}), input };
  }
  if (o.classes !== undefined) throw new InvalidArgumentError('--classes goes with --classifier (a named classifier preset fixes its classes)');
  if (o.preset === undefined) return undefined;
  if (Object.keys(input).length) {
    if (!(CLASSIFIER_PRESET_NAMES as readonly string[]).includes(o.preset)) {
      throw new InvalidArgumentError(`--frames / --size / --samples set a classifier's input; preset ${o.preset} is not a classifier`);
    }
    return { preset: o.preset as (typeof CLASSIFIER_PRESET_NAMES)[number], input };
  }
  return o.preset;
}

const collect = (v: string, all: string[] = []) => [...all, v];

/** The import target: an experiment config (--config, or --preset with --set), or what `targetOf` makes of the flags. */
async function experimentTarget(o: TargetOptions & { config?: string; set?: string[] }): Promise<TargetSpec> {
  if (o.config === undefined && !o.set?.length) {
    const t = targetOf(o);
    if (!t) throw new InvalidArgumentError('give --preset (or --config): what the checkpoint is');
    return t;
  }
  if (o.config !== undefined && o.preset !== undefined) throw new InvalidArgumentError('give --preset or --config, not both');
  if (o.config === undefined && (o.preset === undefined || !isPresetName(o.preset))) {
    throw new InvalidArgumentError(`--set changes a VATT preset (${PRESET_NAMES.join(', ')}) or a --config; got --preset ${o.preset ?? '(none)'}`);
  }
  const base = o.config !== undefined ? await readExperimentFile(o.config) : getExperiment(o.preset as PresetName);
  const experiment = applyOverrides(base, o.set ?? [], o.config ?? `preset ${o.preset}`);
  return { name: o.config ?? `${o.preset} with --set ${o.set!.join(' ')}`, model: resolveModel(experiment), preprocessing: experiment.preprocessing };
}

const mb = (n: number) => (n / 1e6).toFixed(1);

/** Conversion progress by bytes: a bar on a terminal, a line per ~10% otherwise (logs, CI). */
function conversionReporter(what: string, quiet: boolean) {
  return progressReporter<ConversionProgress>({
    quiet,
    format: `${what} |{bar}| {percentage}% | {done}/{all} MB | {tensors} tensors | eta {eta_formatted}`,
    // By bytes, or by tensors when there are none to count.
    position: (p) => ({
      done: p.bytesTotal ? p.bytesDone : p.tensorsDone,
      total: p.bytesTotal || p.tensorsTotal,
      fields: { done: mb(p.bytesDone), all: mb(p.bytesTotal), tensors: `${p.tensorsDone}/${p.tensorsTotal}` },
    }),
    line: (p) =>
      `${what}: ${Math.round(100 * (p.bytesTotal ? p.bytesDone / p.bytesTotal : p.tensorsDone / p.tensorsTotal) || 0)}% ` +
      `(${mb(p.bytesDone)}/${mb(p.bytesTotal)} MB, ${p.tensorsDone}/${p.tensorsTotal} tensors)`,
  });
}

const classifierOptions = (cmd: Command) =>
  cmd
    .addOption(new Option('--classifier <tower>', 'a fine-tuned classifier on the tower of --preset (a VATT preset)').choices(['video', 'audio']))
    .option('--classes <n>', 'with --classifier: the number of classes (default: read from the checkpoint)', int('--classes', 2))
    .option('--frames <n>', 'classifier input frames (default 32)', int('--frames', 1))
    .option('--size <px>', 'classifier input height and width (default 224; 320 for the paper fine-tuning)', int('--size', 1))
    .option('--samples <n>', 'audio classifier input samples (default 153600)', int('--samples', 1));

/**
 * Registers `import tf`, `export tf` and `inspect tf` (under existing `import` / `export` / `inspect`
 * commands if there are: register after the commands that create them).
 *
 * @example
 * const program = new Command('vatt');
 * registerTfCommands(program);
 * await program.parseAsync(['node', 'vatt', 'inspect', 'tf', 'tx_fac_bbs/ckpt-500000']);
 */
export function registerTfCommands(program: Command): void {
  const parent = (name: string, description: string) => program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);

  classifierOptions(
    parent('import', 'import checkpoints of other frameworks')
      .command('tf <checkpoint>')
      .description(
        'import a released VATT TensorFlow checkpoint (a prefix such as tx_fac_bbs/ckpt-500000, its .index, or a directory) ' +
          'as a vatt checkpoint directory (config, preprocessing, vocabulary, weights) for vatt embed / eval',
      )
      .option('--preset <name>', `what the checkpoint is: ${ALL_PRESETS.join(', ')}`),
  )
    .option('--config <file.json>', 'instead of --preset: an experiment config (a model of your own; `vatt config <preset>` prints one)')
    .option('--set <key=value>', 'change a field of the --preset or --config experiment first, e.g. --set model.video.size=small (repeatable)', collect)
    .option('--vocab <file>', 'the vocabulary (howto100m_en.txt of the official misc_data.tgz); default <prefix>.vocab.txt, which vatt export tf writes')
    .option('--word-embeddings <file>', 'word2vec.pkl of misc_data.tgz or a .npy: only needed when the checkpoint lacks the frozen word table')
    .requiredOption('--out <dir>', 'the checkpoint directory to write (replaced atomically)')
    .option('--quiet', 'no progress output', false)
    .action(
      async (
        checkpoint: string,
        o: TargetOptions & { config?: string; set?: string[]; vocab?: string; wordEmbeddings?: string; out: string; quiet: boolean },
      ) => {
        const preset = await experimentTarget(o);
        const progress = conversionReporter('import', o.quiet);
        let r;
        try {
          r = await importOfficialVatt(checkpoint, { preset, out: o.out, vocab: o.vocab, wordEmbeddings: o.wordEmbeddings, onProgress: progress.update });
        } finally {
          progress.stop();
        }
        out(
          `imported ${r.prefix} as ${r.preset} (${r.family}): ${r.tensors} tensors, ${mb(r.bytes)} MB in ${r.seconds.toFixed(1)} s ` +
            `(${mb(r.bytes / Math.max(r.seconds, 1e-6))} MB/s) -> ${r.out}`,
        );
        if (r.vocabSize !== undefined) out(`vocabulary: ${r.vocabSize} words`);
        if (r.skipped.length) out(`not imported: ${r.skipped.length} optimizer / checkpoint variables (${r.skipped.map((s) => s.official).join(', ')})`);
        for (const n of r.notes) out(`note: ${n}`);
      },
    );

  parent('export', 'export checkpoints to other frameworks')
    .command('tf <checkpoint> <prefix>')
    .description(
      'write a vatt checkpoint (directory, or run directory: its newest checkpoint) as a TensorFlow checkpoint in the official VATT ' +
        'layout (object graph, Adam slots, optimizer/iter) at <prefix>.index / <prefix>.data-00000-of-00001, plus <prefix>.vocab.txt',
    )
    .option('--quiet', 'no progress output', false)
    .action(async (checkpoint: string, prefix: string, o: { quiet: boolean }) => {
      const dir = await resolveCheckpoint(checkpoint);
      const progress = conversionReporter('export', o.quiet);
      let r;
      try {
        r = await exportOfficialVatt(dir, prefix, { onProgress: progress.update });
      } finally {
        progress.stop();
      }
      out(
        `exported ${dir} (${r.family}) to ${r.prefix}: ${r.tensors} tensors (${r.slots} optimizer slots), ${mb(r.dataBytes)} MB, ` +
          `optimizer/iter ${r.step}, in ${r.seconds.toFixed(1)} s`,
      );
      if (r.vocabFile) out(`vocabulary: ${r.vocabFile}`);
      for (const d of r.dropped) out(`not exported: ${d.name} (${d.reason})`);
    });

  classifierOptions(
    parent('inspect', 'inspect checkpoints of other frameworks')
      .command('tf <checkpoint>')
      .description('list every tensor of a TensorFlow checkpoint (dtype, shape, object-graph path) and, for VATT, the parameter it maps to')
      .option('--preset <name>', `compare with this preset (default: the best match): ${ALL_PRESETS.join(', ')}`),
  )
    .option('--json', 'print the report as JSON', false)
    .action(async (checkpoint: string, o: TargetOptions & { json: boolean }) => {
      const preset = targetOf(o);
      const r = await inspectTfCheckpoint(checkpoint, preset === undefined ? {} : { preset });
      process.stdout.write(o.json ? `${JSON.stringify(r, null, 1)}\n` : formatInspectReport(r));
    });
}
