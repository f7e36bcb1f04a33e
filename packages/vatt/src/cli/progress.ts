/** Progress output every long-running `vatt` command shares: a bar on a terminal, a line now and then elsewhere (logs, CI). */
import { Presets, SingleBar } from 'cli-progress';
import { out } from './args.js';

export interface ProgressReporter<P> {
  update(progress: P): void;
  stop(): void;
}

export interface ProgressOptions<P> {
  /** No output at all. */
  quiet: boolean;
  /** The bar's cli-progress format: `{bar}`, `{value}`, `{total}`, `{percentage}`, `{eta_formatted}` and the names of `fields`. */
  format: string;
  /** Where `progress` stands, and the bar's extra fields. */
  position: (progress: P) => { done: number; total: number; fields?: Record<string, string | number> };
  /** The line printed off a terminal. */
  line: (progress: P) => string;
  /**
   * Off a terminal, whether to print a line now; `crossed` is true when another `every` of the total is done
   * since the last line, or the job is done (default: exactly then).
   */
  when?: (progress: P, crossed: boolean) => boolean;
  /** Fraction of the total between lines (default 0.1). */
  every?: number;
}

/**
 * A progress reporter: a cli-progress bar with an ETA when stdout is a terminal, else `line(p)` each time
 * another tenth is done (and at the end), so logs stay short.
 *
 * @example
 * const progress = progressReporter({ quiet: false, format: 'prepare |{bar}| {value}/{total} | eta {eta_formatted}',
 *   position: (p) => ({ done: p.done, total: p.total }), line: (p) => `prepare: ${p.done}/${p.total}` });
 */
export function progressReporter<P>(o: ProgressOptions<P>): ProgressReporter<P> {
  if (o.quiet) return { update: () => {}, stop: () => {} };
  if (process.stdout.isTTY) {
    const bar = new SingleBar({ format: o.format, hideCursor: true, etaBuffer: 50 }, Presets.shades_classic);
    let started = false;
    return {
      update: (p) => {
        const { done, total, fields } = o.position(p);
        if (!started) bar.start(total, done, fields);
        started = true;
        bar.setTotal(total);
        bar.update(done, fields);
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  const every = o.every ?? 0.1;
  let next = every;
  return {
    update: (p) => {
      const { done, total } = o.position(p);
      const f = total > 0 ? done / total : 1;
      const crossed = f + 1e-9 >= next || done >= total;
      if (crossed) while (next <= f + 1e-9) next += every;
      if (o.when ? o.when(p, crossed) : crossed) out(o.line(p));
    },
    stop: () => {},
  };
}
