module.exports = { ...require('../../jest.preset.cjs'), displayName: 'vatt', rootDir: __dirname };
