import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.base';

// embedded: the embedded dataset alone (`@vatt/data/embedded`, no Node imports: browser bundles use it).
// browser: the browser media decoder and the embedded dataset (`@vatt/data/browser`, no Node imports).
// worker: the batch loader's worker_threads entry, loaded as dist/worker.js beside index.js (found through
// import.meta.url / __dirname, hence the shims; the other packages need none and stay browser-clean).
export default defineConfig(
  libraryConfig({
    entry: { index: 'src/index.ts', embedded: 'src/embedded/index.ts', browser: 'src/browser.ts', worker: 'src/loader/worker.ts' },
    shims: true,
  }),
);
