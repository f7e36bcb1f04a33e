// Shared jest settings for every package. Tests run as native ESM (the `webgpu` package is
// ESM-only), compiled by @swc/jest; `@vatt/*` imports resolve to package sources so a test never
// depends on a stale build.
const path = require('node:path');
const root = __dirname;

module.exports = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        // keepImportAttributes: the presets' `import x from './x.json' with { type: 'json' }` reaches jest as written.
        jsc: { parser: { syntax: 'typescript', importAttributes: true }, target: 'es2022', experimental: { keepImportAttributes: true } },
        module: { type: 'es6' },
        sourceMaps: 'inline',
      },
    ],
    // tfjs-core's ES-module tree (everything but its Node bundle), needed for register_all_gradients.
    '/node_modules/@tensorflow/tfjs-core/dist/(?!tf-core).+\\.js$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!@tensorflow/tfjs-core/dist/(?!tf-core))'],
  setupFiles: [path.join(root, 'testing/register-gradients.cjs'), path.join(root, 'testing/worker-bundler.cjs')],
  moduleNameMapper: {
    '^@vatt/(tokenizers|transformer|losses|data)$': path.join(root, 'packages/$1/src/index.ts'),
    '^@vatt/tokenizers/random$': path.join(root, 'packages/tokenizers/src/random.ts'),
    '^@vatt/data/embedded$': path.join(root, 'packages/data/src/embedded/index.ts'),
    '^@vatt/data/browser$': path.join(root, 'packages/data/src/browser.ts'),
    '^vatt$': path.join(root, 'packages/vatt/src/index.ts'),
    '^@vatt-testing/(.*)$': path.join(root, 'testing/$1'),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  testTimeout: 120000,
  maxWorkers: 1,
};
