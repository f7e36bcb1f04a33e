module.exports = { ...require('../../jest.preset.cjs'), displayName: '@vatt/tokenizers', rootDir: __dirname };
