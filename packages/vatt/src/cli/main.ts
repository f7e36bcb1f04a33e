/**
 * The `vatt` command line. Every command has --help.
 *
 *   vatt main                      pretrain the tiny preset on the embedded data, then print held-out retrieval
 *   vatt pretrain [options]        contrastive pretraining of a preset or --config file (embedded data by default), --resume
 *   vatt config <preset>           print a preset's experiment config (JSON)
 *   vatt prepare <source> --out D  decode a dataset once into shards (WebDataset tar or DMVR TFRecord) for --data D
 *   vatt eval retrieval <ckpt>     zero-shot retrieval (text->video, video->text, video->audio) vs chance
 *   vatt retrieve <ckpt>           same as `eval retrieval`
 *   vatt embed <ckpt> --out F|D    embeddings as JSON, or of a whole source into an index folder (.npy; resumable)
 *   vatt search <index> <query>    text -> video / audio, or --like video -> video, over an index folder
 *   vatt export onnx|tf <ckpt>     the towers as ONNX graphs (onnxruntime engine: --engine onnx), or a TF checkpoint
 *   vatt import tf <prefix>        a released VATT TensorFlow checkpoint as a vatt checkpoint (also: vatt inspect tf)
 *   vatt info <ckpt>               print a checkpoint's config and parameter counts
 *   vatt eval linear|finetune|...  probes and fine-tuning (see vatt eval --help); vatt plot curves|tsne|similarity
 */
import * as tf from '@tensorflow/tfjs-core';
import { Command } from 'commander';
import { existsSync, realpathSync } from 'node:fs';
import { backendOption } from './args.js';
import { commandEmbed, commandInfo, commandRetrieval } from './commands.js';
import { registerEvalCommands } from './eval-commands.js';
import { engineOption, positiveInt, registerOnnxCommands } from './onnx-commands.js';
import { registerPlotCommands } from './plot-commands.js';
import { registerPrepareCommand } from './prepare-command.js';
import { registerPretrainCommands } from './pretrain-command.js';
import { registerTfCommands } from './tf-commands.js';

export function buildCli(): Command {
  const program = new Command('vatt')
    .description('VATT: Video-Audio-Text Transformer on TensorFlow.js')
    .showHelpAfterError()
    .configureOutput({ outputError: (s, write) => write(s) });

  registerPretrainCommands(program);
  registerPrepareCommand(program);

  const evalCmd = program.command('eval').description('evaluate a checkpoint');
  const retrievalAction = (ckpt: string, opts: Record<string, unknown>) => commandRetrieval(ckpt, opts);
  evalCmd
    .command('retrieval <checkpoint>')
    .description('zero-shot retrieval: text->video, video->text, video->audio R@1/5/10, MedR vs chance')
    .option('--data <source>', 'embedded held-out split (default), a dataset, a manifest, or shards from `vatt prepare`', 'embedded')
    .option('--json <file>', 'also write the metrics as JSON')
    .addOption(backendOption())
    .addOption(engineOption())
    .action(retrievalAction);
  program
    .command('retrieve <checkpoint>')
    .description('alias of `eval retrieval`')
    .option('--data <source>', 'embedded held-out split (default), a dataset, a manifest, or shards from `vatt prepare`', 'embedded')
    .option('--json <file>', 'also write the metrics as JSON')
    .addOption(backendOption())
    .addOption(engineOption())
    .action(retrievalAction);

  program
    .command('embed <checkpoint>')
    .description(
      'write embeddings ([AGG] features and the S_va / S_vt projections): as JSON (--out file.json), or of a whole source ' +
        '(dataset, manifest, folder of videos) into an index folder (--out DIR: .npy files, ids.json; streaming, resumable)',
    )
    .option('--data <source>', 'embedded held-out split (default), a dataset, a manifest or a folder of video files', 'embedded')
    .option('--text <caption...>', 'embed these captions instead')
    .requiredOption('--out <file-or-dir>', 'output JSON file (*.json), or the index folder')
    .option('--split <split>', 'index folder: the eval (default) or train split of a dataset', 'eval')
    .option('--batch-size <n>', 'clips per forward pass', positiveInt('--batch-size'), 16)
    .option('--chunk <n>', 'index folder: samples per part (the unit of streaming and resumption)', positiveInt('--chunk'), 64)
    .option('--overwrite', 'index folder: start again instead of resuming', false)
    .option('--quiet', 'no progress output', false)
    .addOption(backendOption())
    .addOption(engineOption())
    .action(commandEmbed);

  program.command('info <checkpoint>').description("print a checkpoint's config, training state and parameter counts").action(commandInfo);

  registerEvalCommands(program);
  registerPlotCommands(program);
  registerOnnxCommands(program);
  registerTfCommands(program);
  return program;
}

/** Runs the CLI on `argv` (`process.argv`); a failure prints `vatt: <message>` and exits with 1. */
export async function runCli(argv: string[]): Promise<void> {
  // tfjs's console notices (e.g. "install our node backend" on first use of cpu) would interleave with the
  // CLI's own output, which already says which backend runs and why: the CLI runs tfjs in production mode.
  tf.enableProdMode();
  // `vatt ... | head`: once the reader is gone, stop as a Unix tool does on SIGPIPE, without a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(0);
  });
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
