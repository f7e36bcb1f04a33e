import { jest } from '@jest/globals';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { heatmap, lineChart, niceTicks, scatter, sideBySide } from './svg.js';
import { parseTrainingLog, trainingCurves, tsne } from './data.js';
import { similarityPlot, trainingCurvesPlot, tsnePlot } from './plots.js';
import { writePlot } from './write.js';

const step = (s: number, loss: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ step: s, loss, lr: s * 1e-4, skipped: false, metrics: { lossVa: loss + 0.1, lossVt: loss - 0.1 }, ...extra });
const count = (svg: string, re: RegExp) => (svg.match(re) ?? []).length;

describe('training curves', () => {
  test('a log with a resume event gives one record per step, the resumed record winning', () => {
    const log = [step(1, 5), step(2, 4), step(3, 3.5), '{"event":"resume","from":"ckpt-2","step":2}', step(3, 3.4), ''].join('\n');
    const steps = parseTrainingLog(log);
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3]);
    expect(steps[2].loss).toBe(3.4);
  });

  test('a corrupt log line is reported with its line number', () => {
    expect(() => parseTrainingLog(`${step(1, 5)}\n{oops`, 'run/log.jsonl')).toThrow(/run\/log\.jsonl:2/);
  });

  test('curves hold loss, lossVa, lossVt and lr with one point per completed step', () => {
    const steps = parseTrainingLog([step(1, 5), step(2, NaN, { skipped: true }), step(3, 4)].join('\n'));
    const c = trainingCurves(steps);
    expect(c.loss.map((s) => s.name)).toEqual(['loss', 'lossVa', 'lossVt']);
    for (const s of [...c.loss, c.lr]) expect(Array.from(s.x)).toEqual([1, 3]);
    expect(Array.from(c.loss[1].y)).toEqual([5.1, 4.1]);
  });

  test('the curves figure draws one line per series with every step in it', () => {
    const svg = trainingCurvesPlot(Array.from({ length: 20 }, (_, i) => step(i + 1, 5 - i * 0.1)).join('\n'));
    const lines = svg.match(/points="([^"]*)"/g) ?? [];
    expect(lines).toHaveLength(4); // loss, lossVa, lossVt | lr
    for (const l of lines) expect(l.split(' ')).toHaveLength(20);
  });

  test('an empty log is an error, not an empty picture', () => {
    expect(() => trainingCurvesPlot('')).toThrow(/no completed training steps/);
  });
});

describe('charts', () => {
  test('ticks are round numbers covering the range', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(3, 297)).toEqual([100, 200]);
    expect(niceTicks(0, 0.001)).toEqual([0, 0.0002, 0.0004, 0.0006, 0.0008, 0.001]);
  });

  test('a heatmap has one cell per matrix entry and rejects a wrong-sized matrix', () => {
    const svg = heatmap({ title: 't', rowLabels: ['a', 'b'], colLabels: ['x', 'y', 'z'], values: [1, 2, 3, 4, 5, 6], xLabel: 'video', yLabel: 'text' });
    expect(count(svg, /<rect [^>]*><title>/g)).toBe(6);
    expect(svg).toContain('b / z: 6.000');
    expect(() => heatmap({ title: 't', rowLabels: ['a'], colLabels: ['x'], values: [1, 2], xLabel: '', yLabel: '' })).toThrow(/1 x 1 = 1 entries, got 2/);
  });

  test('the similarity plot has texts x videos cells, highest on matching pairs', () => {
    const m = (rows: number[][]) => ({ data: Float32Array.from(rows.flat()), rows: rows.length, cols: rows[0].length });
    const svg = similarityPlot(
      m([
        [1, 0],
        [0, 1],
        [1, 1],
      ]),
      m([
        [2, 0],
        [0, 3],
      ]),
      ['t0', 't1', 't2'],
      ['v0', 'v1'],
    );
    expect(count(svg, /<rect [^>]*><title>/g)).toBe(6);
    expect(svg).toContain('t0 / v0: 1.000');
    expect(svg).toContain('t0 / v1: 0.000');
  });

  test('labels with markup characters are escaped', () => {
    const svg = scatter({ title: 'a<b', points: [{ x: 0, y: 0, label: '"x" & y' }] });
    expect(svg).toContain('a&lt;b');
    expect(svg).toContain('&quot;x&quot; &amp; y');
  });

  test('side by side places each chart at the running x offset', () => {
    const a = lineChart({ title: 'a', xLabel: 'x', yLabel: 'y', series: [{ name: 's', x: [0, 1], y: [0, 1] }], width: 100, height: 80 });
    const both = sideBySide([a, a]);
    expect(both).toMatch(/^<svg[^>]*width="200" height="80"/);
    expect(both).toContain('<svg x="100" y="0"');
  });
});

describe('t-SNE', () => {
  // Two well-separated Gaussian blobs in 8-D.
  const n = 16;
  const data = new Float32Array(n * 8);
  for (let i = 0; i < n; i++) for (let j = 0; j < 8; j++) data[i * 8 + j] = (i < n / 2 ? 0 : 10) + Math.sin(i * 7.1 + j * 3.3);
  const features = { data, rows: n, cols: 8 };

  test('gives one finite 2-D point per row, the same for the same seed', () => {
    const a = tsne(features, { perplexity: 4, iterations: 100, seed: 3 });
    expect(a).toHaveLength(2 * n);
    expect(a.every(Number.isFinite)).toBe(true);
    expect(Array.from(tsne(features, { perplexity: 4, iterations: 100, seed: 3 }))).toEqual(Array.from(a));
  });

  test('keeps separated clusters apart', () => {
    const p = tsne(features, { perplexity: 4, iterations: 200, seed: 0 });
    const centre = (lo: number) => [0, 1].map((d) => Array.from({ length: n / 2 }, (_, i) => p[2 * (lo + i) + d]).reduce((s, v) => s + v, 0) / (n / 2));
    const spread = (lo: number, c: number[]) =>
      Math.max(...Array.from({ length: n / 2 }, (_, i) => Math.hypot(p[2 * (lo + i)] - c[0], p[2 * (lo + i) + 1] - c[1])));
    const [c0, c1] = [centre(0), centre(n / 2)];
    expect(Math.hypot(c0[0] - c1[0], c0[1] - c1[1])).toBeGreaterThan(spread(0, c0) + spread(n / 2, c1));
  });

  test('the t-SNE figure has one dot per point and one legend entry per class', () => {
    const { svg } = tsnePlot(
      features,
      Array.from({ length: n }, (_, i) => (i < n / 2 ? 'red' : 'blue')),
      { perplexity: 4, iterations: 20 },
    );
    expect(count(svg, /<circle [^>]*r="4" fill="[^"]*" fill-opacity/g)).toBe(n);
    expect(count(svg, /<circle cx="[^"]*" cy="[^"]*" r="4" fill="#[0-9a-f]+"\/>/g)).toBe(2);
  });

  test('a perplexity not below the number of points is an error', () => {
    expect(() => tsne(features, { perplexity: 16 })).toThrow(/perplexity must be in \(0, 16\)/);
  });
});

describe('writing plots', () => {
  test('a plot replaces the file atomically and leaves no temporary files', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vatt-plot-'));
    const file = path.join(dir, 'sub', 'p.svg');
    await writePlot(file, '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"></svg>');
    const written = await writePlot(file, '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8" fill="red"/></svg>', {
      png: true,
    });
    expect(written).toEqual([file, file.replace(/svg$/, 'png')]);
    expect(await fs.readFile(file, 'utf8')).toContain('width="8"');
    const png = await fs.readFile(written[1]);
    expect(Array.from(png.subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]); // "PNG"
    expect((await fs.readdir(path.dirname(file))).sort()).toEqual(['p.png', 'p.svg']);
    await fs.rm(dir, { recursive: true });
  });

  test('an output name that is not .svg is refused', async () => {
    await expect(writePlot('plot.png', '<svg/>')).rejects.toThrow(/must end in \.svg/);
  });
});

describe('vatt plot curves', () => {
  test('writes <run-dir>/plots/curves.svg from the run log', async () => {
    const { buildCli } = await import('../cli/main.js');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vatt-plot-run-'));
    await fs.writeFile(path.join(dir, 'log.jsonl'), [step(1, 5), step(2, 4.5), step(3, 4.2)].join('\n'));
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await buildCli().parseAsync(['node', 'vatt', 'plot', 'curves', dir]);
    } finally {
      write.mockRestore();
    }
    const svg = await fs.readFile(path.join(dir, 'plots', 'curves.svg'), 'utf8');
    expect(svg.match(/points="/g)).toHaveLength(4);
    await fs.rm(dir, { recursive: true });
  });

  test('a folder without log.jsonl is an error naming the expected file', async () => {
    const { commandPlotCurves } = await import('../cli/plot-commands.js');
    await expect(commandPlotCurves('/nonexistent-run', { png: false, backend: 'cpu' })).rejects.toThrow(/no training log at \/nonexistent-run\/log\.jsonl/);
  });
});
