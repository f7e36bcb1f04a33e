import { defineConfig } from 'tsup';
import { libraryConfig } from '../../tsup.base';

const external = [/^@tensorflow\//, /^@vatt\//, 'webgpu'];
export default defineConfig([
  libraryConfig({ entry: ['src/index.ts', 'src/browser.ts'], clean: false, external }),
  // The CLI is ESM only: it loads the ESM-only `webgpu` package with a dynamic import.
  { entry: { cli: 'src/cli/main.ts' }, format: ['esm'], sourcemap: true, target: 'es2022', external, banner: { js: '#!/usr/bin/env node' } },
]);
