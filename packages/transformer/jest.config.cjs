module.exports = { ...require('../../jest.preset.cjs'), displayName: '@vatt/transformer', rootDir: __dirname };
