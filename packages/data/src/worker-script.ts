import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bundled = new Map<string, string>();

/**
 * The file to hand to `new Worker(...)` for a worker entry point. From a built package (`callerUrl`,
 * the caller's `import.meta.url`, is a .js file) that is `built`, the worker bundle tsup emits next
 * to the caller. From TypeScript sources (tests, `@vatt/*` mapped to src) `source` is bundled once
 * per process with esbuild (a dev dependency of the workspace) into an .mjs file under the source's
 * package (`node_modules/.cache/`), so that the packages it imports resolve as they do for the caller.
 *
 * @example
 * const script = await workerScript(new URL('./worker.js', import.meta.url), new URL('./worker.ts', import.meta.url), import.meta.url);
 */
export async function workerScript(built: URL, source: URL, callerUrl: string): Promise<string> {
  if (!fileURLToPath(callerUrl).endsWith('.ts')) return fileURLToPath(built);
  const entry = fileURLToPath(source);
  const done = bundled.get(entry);
  if (done && existsSync(done)) return done;
  const esbuildName = 'esbuild';
  const esbuild = (await import(esbuildName)) as { build(options: Record<string, unknown>): Promise<unknown> };
  let root = dirname(entry);
  while (!existsSync(join(root, 'package.json')) && dirname(root) !== root) root = dirname(root);
  const cache = join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const outfile = join(mkdtempSync(join(cache, 'vatt-worker-')), 'worker.mjs');
  await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'silent',
    // Packages come from node_modules as in a built install: one tfjs-core instance per thread, shared
    // with any module the worker imports (a replica factory); optional ones may be absent; sharp is native.
    external: ['@tensorflow/*', '@vatt/*', 'webgpu', '@resvg/resvg-js', 'sharp'],
    banner: { js: "import { createRequire as __vattRequire } from 'node:module'; const require = __vattRequire(import.meta.url);" },
  });
  bundled.set(entry, outfile);
  return outfile;
}
