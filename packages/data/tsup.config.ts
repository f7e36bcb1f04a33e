import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.base';

// worker: the batch loader's worker_threads entry, loaded as dist/worker.js beside index.js.
export default defineConfig(libraryConfig({ entry: { index: 'src/index.ts', worker: 'src/loader/worker.ts' } }));
