import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { paths: {}, rootDir: 'src', types: ['node'] } },
  clean: true,
  sourcemap: true,
  shims: true,
  target: 'es2022',
  // Bundle tfjs-core's gradient registrations (an ES-module tree Node cannot load as is); keep tfjs-core itself external.
  noExternal: [/^@tensorflow\/tfjs-core\/dist\/register_all_gradients/],
  external: [/^@tensorflow\/tfjs-core$/, /^@vatt\//],
});
