import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.base';

// worker: the batch loader's worker_threads entry, loaded as dist/worker.js beside index.js (found through
// import.meta.url / __dirname, hence the shims; the other packages need none and stay browser-clean).
export default defineConfig(libraryConfig({ entry: { index: 'src/index.ts', worker: 'src/loader/worker.ts' }, shims: true }));
