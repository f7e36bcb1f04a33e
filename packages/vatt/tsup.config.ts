import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.base';

const external = [/^@tensorflow\//, /^@vatt\//, 'webgpu'];
export default defineConfig([
  libraryConfig({
    entry: { index: 'src/index.ts', browser: 'src/browser.ts', 'parallel-worker': 'src/parallel/worker.ts' },
    clean: false,
    external,
    shims: true,
  }),
  // The CLI is ESM only: it loads the ESM-only `webgpu` package with a dynamic import.
  { entry: { cli: 'src/cli/main.ts' }, format: ['esm'], sourcemap: true, target: 'es2022', external, banner: { js: '#!/usr/bin/env node' } },
]);
