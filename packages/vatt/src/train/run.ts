/**
 * The training run loop shared by pretraining and fine-tuning: it owns the run directory (checkpoints,
 * retention, `log.jsonl`), refuses to mix two runs in one directory, resumes exactly (weights, optimizer
 * slots, step counters, the random stream and the data position), and compares what defines the run with
 * the resumed one. Each step goes through a `Trainer` (its NaN guard skips non-finite steps).
 *
 * @example
 * const run = await TrainingRun.open<MyRun>({ outDir: 'runs/a', resume });
 * const model = build(run.resumed?.modelConfig ?? config);
 * const trainer = new Trainer({ model, schedule });
 * await run.restore(model, trainer, { run: myRun, differences: configDifferences });
 * const saved = () => ({ modelConfig, preprocessing });
 * const { history } = await run.loop({ steps, checkpointEvery: 100, keep: 3, model, trainer, seed, run: myRun, saved, step });
 */
import * as tf from '@tensorflow/tfjs-core';
import { random, type Module } from '@vatt/transformer';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CheckpointManager, loadCheckpoint, type CheckpointData } from '../checkpoint/store.js';
import type { StepResult, Trainer } from './trainer.js';

/** What a checkpoint stores to resume any training run. */
export interface TrainingState<Run = unknown> {
  step: number;
  skippedSteps: number;
  /** The seed the run started from. */
  seed: number;
  /** The global random stream (`random.getRandomState()`) after `step`. */
  randomState: number;
  /** What defines the run, compared on resume: a pretraining run's experiment config and data source, a fine-tuning run's options. */
  run: Run;
  /** Where the data stream stands after `step`, for loaders that resume exactly. */
  dataCursor?: unknown;
  /** Class names, index = label (classifiers). */
  classes?: string[];
}

/** One logged step: the trainer's result plus throughput, tensors alive and the data epoch. */
export interface StepRecord extends StepResult {
  stepsPerSec: number;
  tensors: number;
  epoch?: number;
}

export interface RunDirectoryOptions {
  /** Run directory: `checkpoints/` and `log.jsonl`. None: nothing is written (and nothing resumed). */
  outDir?: string;
  /** Continue from the newest complete checkpoint in `outDir` (an error when there is none). */
  resume?: boolean;
  /** Start afresh in an `outDir` that holds another run's checkpoints, deleting them. */
  overwrite?: boolean;
}

type Saved<Run> = CheckpointData<unknown, unknown, TrainingState<Run>>;

/** A run directory opened for training (see the file comment). */
export class TrainingRun<Run = unknown> {
  /** The checkpoint being resumed, or null for a fresh run. Its tensors are disposed by `restore`. */
  resumed: Saved<Run> | null = null;
  /** Its path. */
  resumedFrom: string | null = null;
  private readonly checkpoints: string | null;

  private constructor(readonly outDir: string | undefined) {
    this.checkpoints = outDir ? path.join(outDir, 'checkpoints') : null;
  }

  /** Opens (or creates) the run directory; loads the checkpoint to resume. */
  static async open<Run>(opts: RunDirectoryOptions): Promise<TrainingRun<Run>> {
    const run = new TrainingRun<Run>(opts.outDir);
    const m = run.checkpoints ? new CheckpointManager(run.checkpoints) : null;
    if (!m) {
      if (opts.resume) throw new Error('resuming (--resume) needs a run directory (--out, outDir)');
      return run;
    }
    const latest = await m.latest();
    if (opts.resume) {
      if (!latest) throw new Error(`resume (--resume): no complete checkpoint in ${m.dir}`);
      const c = await loadCheckpoint<unknown, unknown, TrainingState<Run>>(latest.path);
      if (!c.training || typeof c.training.step !== 'number' || !('run' in c.training)) {
        tf.dispose([...Object.values(c.weights), ...Object.values(c.optimizer ?? {})]);
        throw new Error(`resume (--resume): ${latest.path} holds no training state of this version (written by an older vatt?); start a new run elsewhere`);
      }
      run.resumed = c;
      run.resumedFrom = latest.path;
    } else if (latest) {
      if (!opts.overwrite) {
        throw new Error(
          `${opts.outDir} already holds checkpoints of a run (newest: ${path.basename(latest.path)}): ` +
            'resume it (--resume, resume: true), or delete them and start again (--overwrite, overwrite: true)',
        );
      }
      await fs.rm(m.dir, { recursive: true, force: true });
      await fs.rm(path.join(opts.outDir!, 'log.jsonl'), { force: true });
    }
    await fs.mkdir(m.dir, { recursive: true });
    return run;
  }

  /** The saved state of the resumed run (or undefined for a fresh one). */
  get state(): TrainingState<Run> | undefined {
    return this.resumed?.training;
  }

  /**
   * Loads the resumed checkpoint into `model` and `trainer` (weights, optimizer slots, counters) and the
   * global random stream, after checking that `run` (what defines this run now) is the resumed run's:
   * differences are an error unless `allowChanges`. A fresh run only seeds the random stream... which the
   * caller has done before building the model.
   */
  async restore(model: Module, trainer: Trainer, check: { run: Run; differences: (saved: Run, now: Run) => string[]; allowChanges?: boolean }): Promise<void> {
    const c = this.resumed;
    if (!c) return;
    try {
      const diffs = check.differences(c.training!.run, check.run);
      if (diffs.length && !check.allowChanges) {
        throw new Error(
          `resume (--resume): this run was started with other settings (${this.resumedFrom}):\n  ${diffs.join('\n  ')}\n` +
            'The data order, schedule or numerics would change. Resume with the same settings, ' +
            'or continue with the new ones (--allow-changes, allowChanges: true).',
        );
      }
      model.loadWeights(c.weights);
      await trainer.restore(c.training!, c.optimizer);
      random.setRandomState(c.training!.randomState);
    } finally {
      tf.dispose([...Object.values(c.weights), ...Object.values(c.optimizer ?? {})]);
      c.weights = {};
      c.optimizer = undefined;
    }
  }

  /**
   * Runs steps `trainer.step + 1 .. steps`, logging each (`log.jsonl`) and saving a checkpoint every
   * `checkpointEvery` steps and after the last (keeping the newest `keep`). `step` trains one step and
   * says where the data stream now stands.
   */
  async loop(o: {
    steps: number;
    checkpointEvery: number;
    /** Checkpoints kept (the newest). */
    keep: number;
    model: Module;
    trainer: Trainer;
    seed: number;
    run: Run;
    /** The parts of a checkpoint besides weights, optimizer and training state. */
    saved: () => Pick<CheckpointData, 'modelConfig' | 'preprocessing' | 'vocab'>;
    step: (index: number) => Promise<{ result: StepResult; epoch?: number; dataCursor?: unknown }>;
    classes?: string[];
    onStep?: (r: StepRecord) => void;
    onCheckpoint?: (step: number, dir: string) => void;
  }): Promise<{ history: StepRecord[]; lastCheckpoint: string | null }> {
    if (!(Number.isInteger(o.steps) && o.steps >= 1)) throw new Error(`training: steps must be an integer >= 1, got ${o.steps}`);
    const history: StepRecord[] = [];
    let lastCheckpoint = this.resumedFrom;
    let dataCursor = this.state?.dataCursor;
    const manager = this.checkpoints ? new CheckpointManager(this.checkpoints, o.keep) : null;
    const log = this.outDir ? await fs.open(path.join(this.outDir, 'log.jsonl'), 'a') : null;
    try {
      // A complete run resumed has nothing to do, and says nothing in its log.
      if (log && this.resumedFrom && o.trainer.step < o.steps)
        await log.write(`${JSON.stringify({ event: 'resume', from: this.resumedFrom, step: o.trainer.step })}\n`);
      let t0 = Date.now();
      while (o.trainer.step < o.steps) {
        const r = await o.step(o.trainer.step);
        dataCursor = r.dataCursor ?? dataCursor;
        const now = Date.now();
        const record: StepRecord = { ...r.result, epoch: r.epoch, stepsPerSec: 1000 / Math.max(1, now - t0), tensors: tf.memory().numTensors };
        t0 = now;
        history.push(record);
        await log?.write(`${JSON.stringify(record)}\n`);
        o.onStep?.(record);
        const done = o.trainer.step;
        if (manager && (done % o.checkpointEvery === 0 || done === o.steps)) {
          lastCheckpoint = await save(manager, o, done, dataCursor);
          o.onCheckpoint?.(done, lastCheckpoint);
        }
      }
    } finally {
      await log?.close();
    }
    return { history, lastCheckpoint };
  }
}

/** Saves step `step` with its training state (optimizer slots under parameter names). */
async function save<Run>(
  manager: CheckpointManager,
  o: {
    model: Module;
    trainer: Trainer;
    seed: number;
    run: Run;
    classes?: string[];
    saved: () => Pick<CheckpointData, 'modelConfig' | 'preprocessing' | 'vocab'>;
  },
  step: number,
  dataCursor: unknown,
): Promise<string> {
  const optimizer = await o.trainer.optimizerWeights();
  const training: TrainingState<Run> = {
    step,
    skippedSteps: o.trainer.skippedSteps,
    seed: o.seed,
    randomState: random.getRandomState(),
    run: o.run,
    ...(dataCursor === undefined ? {} : { dataCursor }),
    ...(o.classes ? { classes: o.classes } : {}),
  };
  try {
    return await manager.save(step, { ...o.saved(), training, weights: o.model.namedWeights(), optimizer });
  } finally {
    optimizer.iter?.dispose(); // a fresh scalar from tfjs's getWeights; the rest are live variables
  }
}
