// Test setup (jest `setupFiles`): lets code running from TypeScript sources start worker threads. A package's
// built worker bundle sits next to its dist/ (tsup emits it); tests map `@vatt/*` to src/, where there is
// none, so `workerEntry` of @vatt/data asks this bundler (installed as a global) for one: esbuild bundles the
// .ts entry once per process into an .mjs file under its package's node_modules/.cache, with packages left to
// resolve from node_modules as they do for built code (one tfjs-core per thread; optional and native ones may
// be absent or unbundleable).
const { buildSync } = require('esbuild');
const { existsSync, mkdirSync, mkdtempSync } = require('node:fs');
const { dirname, join } = require('node:path');

const bundled = new Map();

globalThis.__vattBundleWorker = (entry) => {
  const done = bundled.get(entry);
  if (done && existsSync(done)) return done;
  let root = dirname(entry);
  while (!existsSync(join(root, 'package.json')) && dirname(root) !== root) root = dirname(root);
  const cache = join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const outfile = join(mkdtempSync(join(cache, 'vatt-worker-')), 'worker.mjs');
  buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'silent',
    external: ['@tensorflow/*', '@vatt/*', 'webgpu', '@resvg/resvg-js', 'sharp', 'onnxruntime-node'],
    banner: { js: "import { createRequire as __vattRequire } from 'node:module'; const require = __vattRequire(import.meta.url);" },
  });
  bundled.set(entry, outfile);
  return outfile;
};
