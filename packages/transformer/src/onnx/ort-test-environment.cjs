// A jest environment for tests that run onnxruntime-node (select it with a `@jest-environment` docblock).
// onnxruntime-node's native binding returns typed arrays of Node's main realm, while jest evaluates the
// test (and onnxruntime-common's `data instanceof Float32Array` checks) in a vm context with its own
// typed-array constructors, so every output tensor would be rejected (jestjs/jest#7780). Giving the
// context the main realm's constructors makes both sides agree.
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class OrtTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = OrtTestEnvironment;
