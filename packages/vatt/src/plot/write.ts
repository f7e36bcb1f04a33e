/** Saving plots: SVG always, PNG too when the optional `@resvg/resvg-js` rasteriser is installed. */
import { writeFileAtomic } from '../durable-files.js';

interface ResvgModule {
  Resvg: new (
    svg: string,
    options?: { fitTo?: { mode: 'zoom'; value: number }; font?: { loadSystemFonts?: boolean } },
  ) => { render(): { asPng(): Uint8Array } };
}

/** The optional rasteriser, or null when `@resvg/resvg-js` (prebuilt native binaries from npm) is absent. */
async function loadResvg(): Promise<ResvgModule | null> {
  const name = '@resvg/resvg-js'; // a variable, so bundlers leave the optional native module alone
  try {
    const mod = (await import(name)) as ResvgModule & { default?: ResvgModule };
    return mod.Resvg ? mod : (mod.default ?? null);
  } catch {
    return null;
  }
}

/** SVG text -> PNG bytes at `scale` x its size; throws when `@resvg/resvg-js` is not installed. */
export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  const resvg = await loadResvg();
  if (!resvg) throw new Error('svgToPng: PNG output needs the optional dependency @resvg/resvg-js (npm install @resvg/resvg-js)');
  return new resvg.Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, font: { loadSystemFonts: true } }).render().asPng();
}

/**
 * Saves an SVG plot to `file` (ending in .svg); with `png: true` also `file` with a .png extension.
 * Returns the paths written.
 *
 * @example
 * await writePlot('plots/curves.svg', svg, { png: true }); // ['plots/curves.svg', 'plots/curves.png']
 */
export async function writePlot(file: string, svg: string, options: { png?: boolean } = {}): Promise<string[]> {
  if (!file.endsWith('.svg')) throw new Error(`writePlot: the output file must end in .svg, got "${file}"`);
  await writeFileAtomic(file, svg);
  const written = [file];
  if (options.png) {
    const png = file.replace(/\.svg$/, '.png');
    await writeFileAtomic(png, await svgToPng(svg));
    written.push(png);
  }
  return written;
}
