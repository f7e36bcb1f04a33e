/**
 * `vatt/browser` must stay bundleable for a web page: no module it reaches inside this package may
 * import a Node built-in (fs, path, child_process...). Walks the relative imports from src/browser.ts.
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';

const SRC = path.resolve(process.cwd(), 'src');
const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const IMPORT_RE = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function reachableImports(entry: string): { files: string[]; external: Map<string, string> } {
  const seen = new Set<string>();
  const external = new Map<string, string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
      else external.set(spec, path.relative(SRC, file));
    }
  };
  visit(entry);
  return { files: [...seen], external };
}

test('the browser entry reaches the model, preprocessing and encoding without any Node built-in', () => {
  const { files, external } = reachableImports(path.join(SRC, 'browser.ts'));
  const rel = files.map((f) => path.relative(SRC, f));
  expect(rel).toEqual(expect.arrayContaining(['model/vatt.ts', 'model/preprocess.ts', 'model/encode.ts']));
  const nodeOnly = [...external].filter(([spec]) => NODE_BUILTINS.has(spec)).map(([spec, from]) => `${spec} (from ${from})`);
  expect(nodeOnly).toEqual([]);
});

test('the browser entry exports what a page needs to rank clips for a query', async () => {
  const browser = await import('../src/browser.js');
  for (const name of ['VATT', 'VattPreprocessor', 'getPreset', 'encodeVideo', 'encodeText', 'similarity', 'embeddedSplits']) {
    expect(typeof (browser as Record<string, unknown>)[name]).toBe('function');
  }
});
