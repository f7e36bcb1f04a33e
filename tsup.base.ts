/**
 * The tsup settings every library package shares: ESM + CJS + .d.ts, tfjs and sibling packages external
 * (tfjs-core is a peer dependency: one tfjs per application). Packages pass what differs.
 */
import type { Options } from 'tsup';

export function libraryConfig(overrides: Options = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { paths: {}, rootDir: 'src', types: ['node'] } },
    clean: true,
    sourcemap: true,
    shims: false,
    target: 'es2022',
    external: [/^@tensorflow\//, /^@vatt\//],
    ...overrides,
  };
}
