import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { paths: {}, rootDir: 'src', types: ['node'] } },
    sourcemap: true,
    shims: true,
    target: 'es2022',
    external: [/^@tensorflow\//, /^@vatt\//, 'webgpu'],
  },
  {
    // The CLI is ESM only: it loads the ESM-only `webgpu` package with a dynamic import.
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    sourcemap: true,
    shims: true,
    target: 'es2022',
    external: [/^@tensorflow\//, /^@vatt\//, 'webgpu'],
    banner: { js: '#!/usr/bin/env node' },
  },
]);
