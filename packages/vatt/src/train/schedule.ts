/**
 * Learning-rate schedules of VATT pretraining (docs/numerics.md §7).
 *
 * - `code` (default, the official `StepCosineLearningRateWithLinearWarmup`): linear warmup 0 -> base over
 *   `warmupSteps`, then a half cosine from `base` at the end of warmup down to `end` at `totalSteps`.
 * - `paper`: the paper's "quarter-period cosine" from base to end after warmup:
 *   lr = end + (base - end) * cos(pi/2 * progress).
 */
/** The schedule kinds, for configs and the CLI. */
export const SCHEDULE_KINDS = ['code', 'paper', 'constant'] as const;

export interface ScheduleConfig {
  kind: (typeof SCHEDULE_KINDS)[number];
  baseLr: number;
  endLr: number;
  warmupSteps: number;
  totalSteps: number;
}

export const PAPER_PRETRAIN_SCHEDULE: ScheduleConfig = { kind: 'paper', baseLr: 1e-4, endLr: 5e-5, warmupSteps: 10_000, totalSteps: 500_000 };
export const CODE_PRETRAIN_SCHEDULE: ScheduleConfig = { kind: 'code', baseLr: 1e-4, endLr: 5e-5, warmupSteps: 5_000, totalSteps: 500_000 };

/** Learning rate at `step` (0-based: the rate used for the update that makes step `step + 1`). */
export function learningRateAt(cfg: ScheduleConfig, step: number): number {
  const { baseLr, endLr, warmupSteps, totalSteps } = cfg;
  if (!(totalSteps > 0) || warmupSteps < 0 || warmupSteps > totalSteps) {
    throw new Error(`schedule: need 0 <= warmupSteps (${warmupSteps}) <= totalSteps (${totalSteps}), totalSteps > 0`);
  }
  if (cfg.kind === 'constant') return baseLr;
  if (step < warmupSteps) return (baseLr * step) / warmupSteps;
  const span = Math.max(1, totalSteps - warmupSteps);
  const progress = Math.min(1, (step - warmupSteps) / span);
  if (cfg.kind === 'code') return endLr + ((baseLr - endLr) * (1 + Math.cos(Math.PI * progress))) / 2;
  return endLr + (baseLr - endLr) * Math.cos((Math.PI / 2) * progress);
}
