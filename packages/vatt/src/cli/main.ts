/**
 * The `vatt` command line. Every command has --help.
 *
 *   vatt main                      pretrain the tiny preset on the embedded data, then print held-out retrieval
 *   vatt pretrain [options]        contrastive pretraining (embedded data by default), checkpoints, --resume
 *   vatt eval retrieval <ckpt>     zero-shot retrieval (text->video, video->text, video->audio) vs chance
 *   vatt retrieve <ckpt>           same as `eval retrieval`
 *   vatt embed <ckpt>              write embeddings of inputs as JSON
 *   vatt info <ckpt>               print a checkpoint's config and parameter counts
 */
import { Command } from 'commander';
import { existsSync, realpathSync } from 'node:fs';
import { backendOption, float, int } from './args.js';
import { commandEmbed, commandInfo, commandMain, commandPretrain, commandRetrieval } from './commands.js';
import { registerEvalCommands } from './eval-commands.js';
import { registerPlotCommands } from './plot-commands.js';

export function buildCli(): Command {
  const program = new Command('vatt')
    .description('VATT: Video-Audio-Text Transformer on TensorFlow.js')
    .showHelpAfterError()
    .configureOutput({ outputError: (s, write) => write(s) });

  program
    .command('main')
    .description('pretrain the tiny preset on the embedded dataset, then print held-out retrieval metrics next to chance')
    .option('--steps <n>', 'training steps', int('--steps', 1))
    .option('--seed <n>', 'random seed', int('--seed'), 0)
    .option('--out <dir>', 'run directory', 'runs/main')
    .addOption(backendOption())
    .action(commandMain);

  program
    .command('pretrain')
    .description('contrastive pretraining: NCE(video, audio) + MIL-NCE(video, K captions)')
    .option('--preset <name>', 'model preset: tiny | tiny-ma | tiny-spt | bbs | bbs-spt | mbs | lbs | ma-medium', 'tiny')
    .option('--data <source>', 'embedded (default), or a JSONL manifest / dataset directory', 'embedded')
    .option('--steps <n>', 'training steps', int('--steps', 1), 600)
    .option('--batch <n>', 'batch size', int('--batch', 2), 32)
    .option('--lr <x>', 'peak learning rate', float('--lr', 0), 1e-3)
    .option('--warmup <n>', 'warmup steps', int('--warmup'), 50)
    .option('--schedule <kind>', 'code | paper | constant', 'code')
    .option('--drop-rate <x>', 'DropToken rate for video and audio (0 disables)', float('--drop-rate', 0, 0.99), 0.5)
    .option(
      '--micro-batch <n>',
      'clips per forward/backward pass (>= 2; BatchNorm statistics are per micro-batch, so larger is steadier); the loss still uses the whole batch ' +
        '(saves memory)',
      int('--micro-batch', 2),
    )
    .option('--checkpoint-layers', 'recompute each Transformer layer in the backward pass: far less memory, ~1.3x compute', false)
    .option('--replicas <n>', 'data parallel: worker threads with one model replica each (wasm uses one core per replica)', int('--replicas', 1), 1)
    .option('--clip-norm <x>', 'global-norm gradient clipping (0 = off)', float('--clip-norm', 0), 0)
    .option('--seed <n>', 'random seed', int('--seed'), 0)
    .option('--out <dir>', 'run directory (checkpoints, log.jsonl)', 'runs/pretrain')
    .option('--checkpoint-every <n>', 'steps between checkpoints', int('--checkpoint-every', 1), 100)
    .option('--keep <n>', 'checkpoints to keep', int('--keep', 1), 3)
    .option('--resume', 'continue from the newest complete checkpoint in --out', false)
    .option('--quiet', 'no progress output', false)
    .addOption(backendOption())
    .action(commandPretrain);

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
  return program;
}

// Installed, the bin is a symlink (node_modules/.bin/vatt): match the file it points to.
const entryFile = (f: string) => (existsSync(f) ? realpathSync(f) : f);
const isEntry = typeof process !== 'undefined' && process.argv[1] && /cli\.(c?js|ts)$/.test(entryFile(process.argv[1]));
if (isEntry) {
  buildCli()
    .parseAsync(process.argv)
    .catch((e: Error) => {
      process.stderr.write(`vatt: ${e.message}\n`);
      process.exit(1);
    });
}
