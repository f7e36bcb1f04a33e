import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { paths: {}, rootDir: 'src', types: ['node'] } },
  clean: true,
  sourcemap: true,
  shims: true,
  target: 'es2022',
  external: [/^@tensorflow\//, /^@vatt\//],
});
