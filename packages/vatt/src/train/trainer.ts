/**
 * A training step engine shared by pretraining and fine-tuning: Adam (or any tf.Optimizer), a
 * learning-rate schedule, optional global-norm gradient clipping, and a NaN/Inf guard that skips a
 * step (no weight, optimizer slot or BatchNorm statistic changes) and reports it.
 *
 * Optimizer slots are saved under the model's parameter names, so a checkpoint taken on one run
 * resumes on another, whatever names tfjs gave its variables.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@vatt/transformer';
import { learningRateAt, type ScheduleConfig } from './schedule.js';

/** What a step's forward function returns. */
export interface StepOutput {
  /** The scalar to minimise. */
  loss: tf.Scalar;
  /** Extra scalars to log (e.g. the two loss terms). They are disposed by the trainer. */
  metrics?: Record<string, tf.Scalar>;
}

/** A loss, its gradients keyed by parameter path (`namedTrainableParameters()` names), and optional scalars to log. */
export interface GradientsResult {
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
  metrics?: Record<string, tf.Scalar>;
}

/** The outcome of one step (host numbers; no tensors). */
export interface StepResult {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  skipped: boolean;
  reason?: string;
  metrics: Record<string, number>;
}

/** What a `Trainer` optimises, and how. */
export interface TrainerOptions {
  model: Module;
  schedule: ScheduleConfig;
  /** Clip gradients to this global L2 norm (0 or undefined: no clipping, the official pretraining default). */
  clipNorm?: number;
  /** Restrict clipping to parameters whose name passes this test (fine-tuning clips the backbone only). */
  clipFilter?: (name: string) => boolean;
  /** Adam hyper-parameters; defaults are the official ones (beta1 0.9, beta2 0.999, eps 1e-7). */
  adam?: { beta1?: number; beta2?: number; epsilon?: number };
  /** Build another optimizer instead of Adam (its learningRate field is set every step). */
  makeOptimizer?: (lr: number) => tf.Optimizer;
}

/** The counters a checkpoint stores to resume a `Trainer`. */
export interface TrainerState {
  step: number;
  skippedSteps: number;
}

type SlotOptimizer = tf.Optimizer & { learningRate: number };

/**
 * The non-trainable state a training-mode forward pass updates: BatchNorm moving statistics (parameters
 * named `moving_mean` / `moving_variance` that are not trainable), by path. Other frozen weights (a fixed
 * word-embedding table) never change in a step and are not among them. The one rule of the Trainer's NaN
 * guard, the gradient cache (which keeps the statistics across untaped passes) and a ReplicaPool (whose
 * workers send them back to be averaged).
 */
export function movingStatistics(m: Module): Array<[string, tf.Variable]> {
  const trainable = new Set(m.trainableVariables());
  return m.namedParameters().filter(([n, v]) => !trainable.has(v) && /moving_(mean|variance)$/.test(n));
}

/**
 * Runs optimisation steps on a module's trainable parameters (see the file comment).
 *
 * @example
 * const trainer = new Trainer({ model, schedule: { kind: 'code', baseLr: 1e-4, endLr: 5e-5, warmupSteps: 5000, totalSteps: 500000 } });
 * const r = await trainer.trainStep(() => ({ loss: model.pretrainLoss(batch).total }));
 * r.loss; r.lr; r.gradNorm; r.skipped; // numbers of this step; a non-finite loss skips it
 */
export class Trainer {
  readonly optimizer: SlotOptimizer;
  step = 0;
  skippedSteps = 0;
  private readonly params: Array<[string, tf.Variable]>;
  private readonly variables: tf.Variable[];
  private readonly frozenStats: Array<[string, tf.Variable]>;

  constructor(readonly opts: TrainerOptions) {
    this.params = opts.model.namedTrainableParameters();
    if (!this.params.length) throw new Error('Trainer: the model has no trainable parameters');
    this.variables = this.params.map(([, v]) => v);
    // Non-trainable state that a forward pass may update (BatchNorm moving statistics); the NaN guard restores it.
    this.frozenStats = movingStatistics(opts.model);
    const lr0 = learningRateAt(opts.schedule, 0);
    const a = opts.adam ?? {};
    this.optimizer = (opts.makeOptimizer ? opts.makeOptimizer(lr0) : tf.train.adam(lr0, a.beta1 ?? 0.9, a.beta2 ?? 0.999, a.epsilon ?? 1e-7)) as SlotOptimizer;
  }

  /** One optimisation step on `forward` (which runs the model in training mode and returns the loss). */
  trainStep(forward: () => StepOutput): Promise<StepResult> {
    return this.stepWith(() => {
      let metrics: Record<string, tf.Scalar> = {};
      const { value, grads } = tf.variableGrads(() => {
        const out = forward();
        metrics = Object.fromEntries(Object.entries(out.metrics ?? {}).map(([k, t]) => [k, tf.keep(t)]));
        return out.loss;
      }, this.variables);
      return { value, grads: byPath(this.opts.model, grads), metrics };
    });
  }

  /**
   * One optimisation step whose loss and gradients (keyed by parameter path) come from `compute`, for
   * steps that assemble their gradients themselves (the gradient cache, a ReplicaPool). The trainer takes
   * ownership of the returned tensors. A non-finite loss or gradient anywhere skips the step.
   */
  async stepWith(compute: () => GradientsResult | Promise<GradientsResult>): Promise<StepResult> {
    const lr = learningRateAt(this.opts.schedule, this.step);
    this.setLearningRate(lr);
    const snapshot = this.frozenStats.map(([, v]) => tf.clone(v));
    const { value, grads, metrics = {} } = await compute();
    const known = new Set(this.params.map(([n]) => n));
    const unknown = Object.keys(grads).filter((n) => !known.has(n));
    if (unknown.length) {
      tf.dispose([value, ...Object.values(grads), ...Object.values(metrics), ...snapshot]);
      throw new Error(`Trainer: gradients for ${unknown.length} name(s) that are not trainable parameters: ${unknown.slice(0, 5).join(', ')}`);
    }
    // tfjs optimizers index their slots by position: every parameter gets a gradient (zeros when unused).
    const ordered = this.params.map(([n, v]) => grads[n] ?? (grads[n] = tf.zerosLike(v)));
    const clipped = new Set(this.params.flatMap(([n], i) => (!this.opts.clipFilter || this.opts.clipFilter(n) ? [i] : [])));
    const [normT, allT] = tf.tidy(() => {
      const sq = ordered.map((g) => tf.sum(tf.square(g)));
      const clipSq = sq.filter((_, i) => clipped.has(i));
      const clipNorm = clipSq.length ? tf.sqrt(tf.addN(clipSq)) : tf.scalar(0);
      // The NaN guard looks at every gradient that is applied, clipped or not.
      return [clipNorm, clipSq.length === sq.length ? clipNorm.clone() : tf.sqrt(tf.addN(sq))];
    });
    const summary = tf.stack([value, normT, allT, ...Object.values(metrics)]);
    const numbers = Array.from(await summary.data());
    summary.dispose();
    const [loss, gradNorm, allNorm] = numbers;
    const metricValues = Object.fromEntries(Object.keys(metrics).map((k, i) => [k, numbers[3 + i]]));
    tf.dispose([value, normT, allT, ...Object.values(metrics)]);

    let skipped = false;
    let reason: string | undefined;
    if (!Number.isFinite(loss) || !Number.isFinite(allNorm)) {
      skipped = true;
      reason = !Number.isFinite(loss) ? `non-finite loss (${loss})` : `non-finite gradient norm (${allNorm})`;
      this.frozenStats.forEach(([, v], i) => v.assign(snapshot[i]));
      this.skippedSteps++;
    } else {
      const clip = this.opts.clipNorm && this.opts.clipNorm > 0 && gradNorm > this.opts.clipNorm ? this.opts.clipNorm / gradNorm : 1;
      const list = this.params.map(([, v], i) => ({ name: v.name, tensor: clip !== 1 && clipped.has(i) ? tf.mul(ordered[i], clip) : ordered[i] }));
      this.optimizer.applyGradients(list);
      const own = new Set(Object.values(grads));
      for (const { tensor } of list) if (!own.has(tensor)) tensor.dispose();
    }
    tf.dispose(snapshot);
    tf.dispose(Object.values(grads));
    const result: StepResult = { step: this.step + 1, loss, lr, gradNorm, skipped, reason, metrics: metricValues };
    this.step++;
    return result;
  }

  /**
   * tfjs's SGD and momentum optimizers read their rate through `setLearningRate` (they cache it as a
   * tensor); Adam reads the `learningRate` field on every step.
   */
  private setLearningRate(lr: number): void {
    const o = this.optimizer as SlotOptimizer & { setLearningRate?: (lr: number) => void };
    if (o.learningRate === lr) return;
    if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
    else o.learningRate = lr;
  }

  /**
   * Optimizer slots under parameter names (`iter`, `m/<param>`, `v/<param>` for Adam). The slots are the
   * optimizer's live variables; `iter` is a new scalar the caller disposes.
   */
  async optimizerWeights(): Promise<tf.NamedTensorMap> {
    const ws = await this.optimizer.getWeights();
    const out: tf.NamedTensorMap = {};
    if (!ws.length) return out;
    const [iter, ...slots] = ws;
    out.iter = iter.tensor;
    const byVar = new Map(this.params.map(([n, v]) => [v.name, n]));
    const kinds = slots.length / this.params.length;
    for (const s of slots) {
      const m = /^(.*)\/([^/]+)$/.exec(s.name);
      const param = m && byVar.get(m[1]);
      if (!m || !param) throw new Error(`Trainer: optimizer slot "${s.name}" matches no model parameter`);
      out[`${m[2]}/${param}`] = s.tensor;
    }
    if (!Number.isInteger(kinds)) throw new Error(`Trainer: ${slots.length} optimizer slots for ${this.params.length} parameters`);
    // tfjs's Adam keeps beta1^t and beta2^t as running products that setWeights recomputes with pow();
    // the two differ in the last bit, so they are saved too and a resumed run repeats the same updates.
    for (const [k, v] of Object.entries(this.betaPowers())) out[k] = v;
    return out;
  }

  /** Restores slots saved by `optimizerWeights` (and the step counter). */
  async restore(state: TrainerState, slots?: tf.NamedTensorMap): Promise<void> {
    this.step = state.step;
    this.skippedSteps = state.skippedSteps;
    if (!slots || !slots.iter) return;
    const kinds = [
      ...new Set(
        Object.keys(slots)
          .filter((k) => k.includes('/'))
          .map((k) => k.split('/')[0]),
      ),
    ];
    // tfjs optimizers take their slots positionally: iter, then each slot kind for every variable in order.
    const order = kinds.sort((a, b) => (a === 'm' ? -1 : b === 'm' ? 1 : a.localeCompare(b)));
    const list: Array<{ name: string; tensor: tf.Tensor }> = [{ name: 'iter', tensor: slots.iter }];
    for (const kind of order) {
      for (const [n, v] of this.params) {
        const t = slots[`${kind}/${n}`];
        if (!t) throw new Error(`Trainer.restore: optimizer slot "${kind}/${n}" missing from the checkpoint`);
        list.push({ name: `${v.name}/${kind}`, tensor: t });
      }
    }
    await this.optimizer.setWeights(list);
    const powers = this.betaPowers();
    for (const [k, v] of Object.entries(powers)) if (slots[k]) v.assign(slots[k]);
  }

  /** Adam's running beta powers (tfjs private state), when the optimizer is tfjs's Adam. */
  private betaPowers(): Record<string, tf.Variable> {
    const o = this.optimizer as unknown as { accBeta1?: tf.Variable; accBeta2?: tf.Variable };
    return o.accBeta1 instanceof tf.Variable && o.accBeta2 instanceof tf.Variable ? { acc_beta1: o.accBeta1, acc_beta2: o.accBeta2 } : {};
  }

  state(): TrainerState {
    return { step: this.step, skippedSteps: this.skippedSteps };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

/** Gradients keyed by `tf.Variable.name` (what `tf.variableGrads` returns) re-keyed by `model`'s parameter paths. */
export function byPath(model: Module, grads: tf.NamedTensorMap): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  for (const [path, v] of model.namedTrainableParameters()) if (grads[v.name]) out[path] = grads[v.name];
  return out;
}
