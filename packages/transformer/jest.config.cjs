// tfjs-core's Node bundle registers no gradients (only `@tensorflow/tfjs` does, through
// `@tensorflow/tfjs-core/dist/register_all_gradients`, an ES-module tree with extensionless imports).
// The tests load that tree through swc as CommonJS (test/register-gradients.cjs); tfjs keeps its engine
// and registries in a global, so the gradients land in the same engine the layers run on.
const preset = require('../../jest.preset.cjs');

module.exports = {
  ...preset,
  displayName: '@vatt/transformer',
  rootDir: __dirname,
  transform: {
    ...preset.transform,
    '/node_modules/@tensorflow/tfjs-core/dist/(?!tf-core).+\\.js$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!@tensorflow/tfjs-core/dist/(?!tf-core))'],
  setupFiles: ['<rootDir>/test/register-gradients.cjs'],
};
