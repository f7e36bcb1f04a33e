// What the checkpoint benches share: the API from ../dist (after a build) or from the sources bundled with
// esbuild, and dropping a file from the page cache for a cold read.
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * The module to bench: ../dist/index.js when it loads and exports every name in `needs` (unless `--src` is in
 * `args`), else `build` (esbuild options without outfile) bundled into a folder beside this file (so the bundle
 * finds the repository's node_modules; the caller removes `buildDir`).
 */
export async function loadBenchApi({ args, needs, name, build }) {
  const dist = path.join(here, '../dist/index.js');
  if (existsSync(dist) && !args.includes('--src')) {
    try {
      const m = await import(pathToFileURL(dist).href);
      if (needs.every((n) => m[n])) return { api: m, from: 'dist', buildDir: null, moduleUrl: pathToFileURL(dist).href };
    } catch {
      // A stale or half-built dist: use the sources.
    }
  }
  const esbuild = await import('esbuild');
  const buildDir = path.join(here, `.${name}-build-${process.pid}`);
  await fs.mkdir(buildDir, { recursive: true });
  const out = path.join(buildDir, `${name}.mjs`);
  await esbuild.build({
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'es2022',
    logLevel: 'warning',
    // CommonJS dependencies (protobufjs) may require() Node built-ins.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    ...build,
    outfile: out,
  });
  const moduleUrl = pathToFileURL(out).href;
  return { api: await import(moduleUrl), from: 'src (esbuild)', buildDir, moduleUrl };
}

/** Drops a file's pages from the page cache (no root needed), so the next read comes from disk. */
export function dropCache(file) {
  try {
    execFileSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
    return true;
  } catch {
    return false;
  }
}
