import { defineConfig } from 'tsup';

export default defineConfig({
  // worker: the batch loader's worker_threads entry, loaded as dist/worker.js beside index.js.
  entry: { index: 'src/index.ts', worker: 'src/loader/worker.ts' },
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { paths: {}, rootDir: 'src', types: ['node'] } },
  clean: true,
  sourcemap: true,
  shims: true,
  target: 'es2022',
  external: [/^@tensorflow\//, /^@vatt\//],
});
