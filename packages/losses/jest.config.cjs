module.exports = { ...require('../../jest.preset.cjs'), displayName: '@vatt/losses', rootDir: __dirname };
