/**
 * The `vatt` command line. Every command has --help.
 *
 *   vatt main                      pretrain the tiny preset on the embedded data, then print held-out retrieval
 *   vatt pretrain [options]        contrastive pretraining of a preset or --config file (embedded data by default), --resume
 *   vatt config <preset>           print a preset's experiment config (JSON)
 *   vatt eval retrieval <ckpt>     zero-shot retrieval (text->video, video->text, video->audio) vs chance
 *   vatt retrieve <ckpt>           same as `eval retrieval`
 *   vatt embed <ckpt>              write embeddings of inputs as JSON
 *   vatt info <ckpt>               print a checkpoint's config and parameter counts
 */
import * as tf from '@tensorflow/tfjs-core';
import { Command } from 'commander';
import { existsSync, realpathSync } from 'node:fs';
import { backendOption } from './args.js';
import { commandEmbed, commandInfo, commandRetrieval } from './commands.js';
import { registerEvalCommands } from './eval-commands.js';
import { registerPlotCommands } from './plot-commands.js';
import { registerPretrainCommands } from './pretrain-command.js';
import { registerTfCommands } from './tf-commands.js';

export function buildCli(): Command {
  const program = new Command('vatt')
    .description('VATT: Video-Audio-Text Transformer on TensorFlow.js')
    .showHelpAfterError()
    .configureOutput({ outputError: (s, write) => write(s) });

  registerPretrainCommands(program);

  const evalCmd = program.command('eval').description('evaluate a checkpoint');
  const retrievalAction = (ckpt: string, opts: Record<string, unknown>) => commandRetrieval(ckpt, opts);
  evalCmd
    .command('retrieval <checkpoint>')
    .description('zero-shot retrieval: text->video, video->text, video->audio R@1/5/10, MedR vs chance')
    .option('--data <source>', 'embedded held-out split (default) or a dataset', 'embedded')
    .option('--json <file>', 'also write the metrics as JSON')
    .addOption(backendOption())
    .action(retrievalAction);
  program
    .command('retrieve <checkpoint>')
    .description('alias of `eval retrieval`')
    .option('--data <source>', 'embedded held-out split (default) or a dataset', 'embedded')
    .option('--json <file>', 'also write the metrics as JSON')
    .addOption(backendOption())
    .action(retrievalAction);

  program
    .command('embed <checkpoint>')
    .description('write embeddings ([AGG] features and the S_va / S_vt projections) for inputs as JSON')
    .option('--data <source>', 'embedded held-out split (default) or a dataset', 'embedded')
    .option('--text <caption...>', 'embed these captions instead')
    .requiredOption('--out <file>', 'output JSON file')
    .addOption(backendOption())
    .action(commandEmbed);

  program.command('info <checkpoint>').description("print a checkpoint's config, training state and parameter counts").action(commandInfo);

  registerEvalCommands(program);
  registerPlotCommands(program);
  registerTfCommands(program);
  return program;
}

/** Runs the CLI on `argv` (`process.argv`); a failure prints `vatt: <message>` and exits with 1. */
export async function runCli(argv: string[]): Promise<void> {
  // tfjs's console notices (e.g. "install our node backend" on first use of cpu) would interleave with the
  // CLI's own output, which already says which backend runs and why: the CLI runs tfjs in production mode.
  tf.enableProdMode();
  try {
    await buildCli().parseAsync(argv);
  } catch (e) {
    process.stderr.write(`vatt: ${(e as Error).message}\n`);
    process.exit(1);
  }
}

// `node dist/cli.js ...` runs it directly; the `vatt` bin (bin/vatt.js) calls runCli.
const entryFile = (f: string) => (existsSync(f) ? realpathSync(f) : f);
if (typeof process !== 'undefined' && process.argv[1] && /cli\.(c?js|ts)$/.test(entryFile(process.argv[1]))) void runCli(process.argv);
