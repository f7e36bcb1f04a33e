/**
 * Three small SVG charts (lines, heatmap, scatter) with no dependencies, so the same plotting code
 * runs in Node, in a notebook and in the browser. Each function takes plain numbers and returns an
 * SVG document as a string; `writePlot` (write.ts) saves it and can rasterise it to PNG.
 */

/** One line of a line chart: `x` and `y` of equal length. */
export interface LineSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

/** Input of `lineChart`. */
export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly LineSeries[];
  /** Logarithmic y axis (every y must be > 0). */
  logY?: boolean;
  width?: number;
  height?: number;
}

/** Input of `heatmap`. */
export interface HeatmapSpec {
  title: string;
  /** Row names, top to bottom (`rowLabels.length` rows). */
  rowLabels: readonly string[];
  /** Column names, left to right. */
  colLabels: readonly string[];
  /** Row-major values, `rowLabels.length * colLabels.length` of them. */
  values: ArrayLike<number>;
  xLabel: string;
  yLabel: string;
  /** Cell size in pixels (default: fits the matrix into ~480 px). */
  cell?: number;
}

/** One point of `scatter`. */
export interface ScatterPoint {
  x: number;
  y: number;
  /** The class: points of one class share a colour and a legend entry. */
  label: string;
}

/** Input of `scatter`. */
export interface ScatterSpec {
  title: string;
  points: readonly ScatterPoint[];
  width?: number;
  height?: number;
  /** Colour per class label (e.g. the embedded dataset's colours); others get the palette. */
  colors?: Readonly<Record<string, string>>;
}

/** Colours of the series and classes (Tableau 10, colour-blind friendly). */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'] as const;

const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';
const MARGIN = { left: 64, right: 16, top: 36, bottom: 48 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));

function svgDocument(width: number, height: number, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

const text = (x: number, y: number, s: string, extra = '', size = 11) =>
  `<text x="${num(x)}" y="${num(y)}" font-size="${size}" ${FONT} ${extra}>${esc(s)}</text>`;
const title = (x: number, s: string) => text(x, 20, s, 'text-anchor="middle" font-weight="bold"', 13);

/** "Nice" tick values (1, 2 or 5 x 10^k apart) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new Error(`niceTicks: expected finite bounds, got ${lo}, ${hi}`);
  if (hi === lo) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const formatTick = (v: number) => (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5) ? v.toExponential(0) : String(Number(v.toPrecision(4))));

function extent(values: Iterable<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (lo > hi) return [0, 1];
  return lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
}

/** Axes frame, ticks and labels; returns the pixel mappings of data x and y. */
function axes(
  body: string[],
  w: number,
  h: number,
  xr: [number, number],
  yr: [number, number],
  spec: { title: string; xLabel: string; yLabel: string },
  logY = false,
) {
  const pw = w - MARGIN.left - MARGIN.right;
  const ph = h - MARGIN.top - MARGIN.bottom;
  const ty = (v: number) => (logY ? Math.log10(v) : v);
  const [y0, y1] = [ty(yr[0]), ty(yr[1])];
  const px = (v: number) => MARGIN.left + ((v - xr[0]) / (xr[1] - xr[0])) * pw;
  const py = (v: number) => MARGIN.top + ph - ((ty(v) - y0) / (y1 - y0)) * ph;
  body.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  for (const t of niceTicks(xr[0], xr[1])) {
    body.push(`<line x1="${num(px(t))}" x2="${num(px(t))}" y1="${MARGIN.top + ph}" y2="${MARGIN.top + ph + 4}" stroke="#888"/>`);
    body.push(text(px(t), MARGIN.top + ph + 16, formatTick(t), 'text-anchor="middle"'));
  }
  const yTicks = logY
    ? niceTicks(y0, y1)
        .filter((t) => Number.isInteger(t))
        .map((t) => 10 ** t)
    : niceTicks(yr[0], yr[1]);
  for (const t of yTicks) {
    body.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + pw}" y1="${num(py(t))}" y2="${num(py(t))}" stroke="#eee"/>`);
    body.push(text(MARGIN.left - 6, py(t) + 4, formatTick(t), 'text-anchor="end"'));
  }
  body.push(title(w / 2, spec.title));
  body.push(text(MARGIN.left + pw / 2, h - 10, spec.xLabel, 'text-anchor="middle"'));
  body.push(text(14, MARGIN.top + ph / 2, spec.yLabel, `text-anchor="middle" transform="rotate(-90 14 ${num(MARGIN.top + ph / 2)})"`));
  return { px, py, pw, ph };
}

function legend(
  body: string[],
  x: number,
  y: number,
  names: readonly string[],
  marker: 'line' | 'dot',
  colorOf: (name: string, i: number) => string = (_n, i) => PALETTE[i % PALETTE.length],
) {
  names.forEach((name, i) => {
    const c = colorOf(name, i);
    const yy = y + i * 15;
    body.push(
      marker === 'line'
        ? `<line x1="${x}" x2="${x + 16}" y1="${yy}" y2="${yy}" stroke="${c}" stroke-width="2"/>`
        : `<circle cx="${x + 8}" cy="${yy}" r="4" fill="${c}"/>`,
    );
    body.push(text(x + 20, yy + 4, name));
  });
}

/**
 * A line chart of one or more series on shared axes.
 *
 * @example
 * const svg = lineChart({ title: 'loss', xLabel: 'step', yLabel: 'loss', series: [{ name: 'loss', x: [1, 2, 3], y: [4.8, 4.1, 3.9] }] });
 * svg.startsWith('<svg'); // true
 */
export function lineChart(spec: LineChartSpec): string {
  const { width: w = 480, height: h = 320 } = spec;
  if (!spec.series.length) throw new Error(`lineChart "${spec.title}": expected at least one series`);
  for (const s of spec.series) {
    if (s.x.length !== s.y.length) throw new Error(`lineChart "${spec.title}": series "${s.name}" has ${s.x.length} x values but ${s.y.length} y values`);
  }
  const ok = (y: number) => Number.isFinite(y) && (!spec.logY || y > 0);
  const xs = spec.series.flatMap((s) => Array.from(s.x));
  const ys = spec.series.flatMap((s) => Array.from(s.y).filter(ok));
  const body: string[] = [];
  const { px, py } = axes(body, w, h, extent(xs), extent(ys), spec, spec.logY);
  spec.series.forEach((s, k) => {
    const pts: string[] = [];
    for (let i = 0; i < s.x.length; i++) if (ok(s.y[i])) pts.push(`${num(px(s.x[i]))},${num(py(s.y[i]))}`);
    body.push(
      `<polyline fill="none" stroke="${PALETTE[k % PALETTE.length]}" stroke-width="1.5" points="${pts.join(' ')}"><title>${esc(s.name)}</title></polyline>`,
    );
  });
  if (spec.series.length > 1)
    legend(
      body,
      w - MARGIN.right - 110,
      MARGIN.top + 14,
      spec.series.map((s) => s.name),
      'line',
    );
  return svgDocument(w, h, body);
}

/** Viridis colour map at t in [0, 1] (linear between 5 stops). */
export function viridis(t: number): string {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i].map((v, k) => Math.round(v + f * (stops[i + 1][k] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/**
 * A heatmap of a matrix with a colour bar; row and column names are written when they fit (<= 40).
 *
 * @example
 * heatmap({ title: 'cosine', rowLabels: ['a', 'b'], colLabels: ['x', 'y'], values: [1, 0, 0, 1], xLabel: 'video', yLabel: 'text' });
 */
export function heatmap(spec: HeatmapSpec): string {
  const rows = spec.rowLabels.length;
  const cols = spec.colLabels.length;
  if (!rows || !cols) throw new Error(`heatmap "${spec.title}": expected at least one row and one column, got ${rows} x ${cols}`);
  if (spec.values.length !== rows * cols)
    throw new Error(`heatmap "${spec.title}": values must have ${rows} x ${cols} = ${rows * cols} entries, got ${spec.values.length}`);
  const cell = spec.cell ?? Math.max(3, Math.min(24, Math.floor(480 / Math.max(rows, cols))));
  const named = Math.max(rows, cols) <= 40;
  const labelSpace = named ? 7 * Math.max(...spec.rowLabels.map((s) => s.length), ...spec.colLabels.map((s) => s.length)) + 12 : 24;
  const left = labelSpace + 24;
  const top = 36;
  const w = left + cols * cell + 80;
  const h = top + rows * cell + labelSpace + 24;
  const [lo, hi] = extent(Array.from(spec.values));
  const body: string[] = [title(w / 2, spec.title)];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = spec.values[r * cols + c];
      body.push(
        `<rect x="${left + c * cell}" y="${top + r * cell}" width="${cell}" height="${cell}" ` +
          `fill="${viridis((v - lo) / (hi - lo))}"><title>${esc(`${spec.rowLabels[r]} / ${spec.colLabels[c]}: ${v.toFixed(3)}`)}</title></rect>`,
      );
    }
  }
  if (named) {
    spec.rowLabels.forEach((s, r) => body.push(text(left - 4, top + r * cell + cell / 2 + 4, s, 'text-anchor="end"')));
    spec.colLabels.forEach((s, c) => {
      const x = left + c * cell + cell / 2 + 4;
      const y = top + rows * cell + 6;
      body.push(text(x, y, s, `text-anchor="end" transform="rotate(-90 ${num(x)} ${num(y)})"`));
    });
  }
  body.push(text(left + (cols * cell) / 2, h - 8, spec.xLabel, 'text-anchor="middle"'));
  body.push(text(12, top + (rows * cell) / 2, spec.yLabel, `text-anchor="middle" transform="rotate(-90 12 ${num(top + (rows * cell) / 2)})"`));
  // Colour bar.
  const bx = left + cols * cell + 16;
  const bh = Math.max(60, rows * cell);
  for (let i = 0; i < 32; i++)
    body.push(`<rect x="${bx}" y="${num(top + (bh * (31 - i)) / 32)}" width="12" height="${num(bh / 32 + 0.5)}" fill="${viridis(i / 31)}"/>`);
  body.push(text(bx + 16, top + 8, formatTick(Number(hi.toPrecision(3)))));
  body.push(text(bx + 16, top + bh, formatTick(Number(lo.toPrecision(3)))));
  return svgDocument(w, Math.max(h, top + bh + 24), body);
}

/**
 * A scatter plot coloured by class, with a legend (classes in first-seen order).
 *
 * @example
 * scatter({ title: 't-SNE', points: [{ x: 0, y: 1, label: 'red' }, { x: 1, y: 0, label: 'blue' }] });
 */
export function scatter(spec: ScatterSpec): string {
  const { width: w = 560, height: h = 420 } = spec;
  if (!spec.points.length) throw new Error(`scatter "${spec.title}": expected at least one point`);
  const classes = [...new Set(spec.points.map((p) => p.label))];
  const body: string[] = [];
  const legendWidth = 16 + 7 * Math.max(...classes.map((c) => c.length)) + 20;
  const { px, py } = axes(body, w - legendWidth, h, extent(spec.points.map((p) => p.x)), extent(spec.points.map((p) => p.y)), {
    title: spec.title,
    xLabel: 't-SNE 1',
    yLabel: 't-SNE 2',
  });
  const colorOf = (label: string, i = classes.indexOf(label)) => spec.colors?.[label] ?? PALETTE[i % PALETTE.length];
  for (const p of spec.points) {
    const c = colorOf(p.label);
    body.push(
      `<circle cx="${num(px(p.x))}" cy="${num(py(p.y))}" r="4" fill="${c}" fill-opacity="0.85" stroke="white" ` +
        `stroke-width="0.5"><title>${esc(p.label)}</title></circle>`,
    );
  }
  legend(body, w - legendWidth + 4, MARGIN.top + 8, classes, 'dot', colorOf);
  return svgDocument(w, h, body);
}

/** Places SVG documents side by side in one document (tops aligned). */
export function sideBySide(svgs: readonly string[]): string {
  let x = 0;
  let height = 0;
  const parts: string[] = [];
  for (const s of svgs) {
    const m = /<svg[^>]*width="(\d+(?:\.\d+)?)"[^>]*height="(\d+(?:\.\d+)?)"/.exec(s);
    if (!m) throw new Error('sideBySide: expected SVG documents with width and height');
    parts.push(s.replace('<svg ', `<svg x="${x}" y="0" `));
    x += Number(m[1]);
    height = Math.max(height, Number(m[2]));
  }
  return svgDocument(x, height, parts);
}
