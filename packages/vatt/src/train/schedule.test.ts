import { CODE_PRETRAIN_SCHEDULE, learningRateAt, PAPER_PRETRAIN_SCHEDULE } from './schedule.js';

describe('learning-rate schedules', () => {
  test('the code schedule warms up linearly over 5k steps then follows a half cosine to 5e-5', () => {
    const c = CODE_PRETRAIN_SCHEDULE;
    expect(learningRateAt(c, 0)).toBe(0);
    expect(learningRateAt(c, 2500)).toBeCloseTo(5e-5, 12);
    expect(learningRateAt(c, 5000)).toBeCloseTo(1e-4, 12);
    // lr = 5e-5 + 5e-5 * (1 + cos(pi * (s - 5000) / 495000)) / 2 (docs/numerics.md §7)
    const s = 252_500;
    expect(learningRateAt(c, s)).toBeCloseTo(5e-5 + (5e-5 * (1 + Math.cos((Math.PI * (s - 5000)) / 495000))) / 2, 12);
    expect(learningRateAt(c, 500_000)).toBeCloseTo(5e-5, 12);
  });

  test('the paper schedule uses a 10k warmup and a quarter-period cosine', () => {
    const p = PAPER_PRETRAIN_SCHEDULE;
    expect(learningRateAt(p, 10_000)).toBeCloseTo(1e-4, 12);
    expect(learningRateAt(p, 255_000)).toBeCloseTo(5e-5 + 5e-5 * Math.cos(Math.PI / 4), 12);
    expect(learningRateAt(p, 500_000)).toBeCloseTo(5e-5, 12);
  });

  test('an impossible schedule is rejected with the numbers', () => {
    expect(() => learningRateAt({ kind: 'code', baseLr: 1, endLr: 0, warmupSteps: 10, totalSteps: 5 }, 0)).toThrow(/warmupSteps \(10\) <= totalSteps \(5\)/);
  });
});
