module.exports = { ...require('../../jest.preset.cjs'), displayName: '@vatt/data', rootDir: __dirname };
