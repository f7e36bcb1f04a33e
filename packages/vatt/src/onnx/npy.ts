/**
 * NumPy `.npy` files (format version 1.0: magic `\x93NUMPY`, version, a little-endian u16 header length, a
 * Python-dict header padded with spaces to a 64-byte boundary and ended by a newline, then the raw
 * C-order data), for float32 matrices that `numpy.load` reads as they are.
 */

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/**
 * A float32 array of `shape` as `.npy` bytes.
 *
 * @example
 * await fs.writeFile('video_vt.npy', encodeNpy(matrix.data, [matrix.rows, matrix.cols])); // np.load -> (rows, cols) float32
 */
export function encodeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw new Error(`encodeNpy: ${data.length} values for shape [${shape}]`);
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  const total = MAGIC.length + 2 + 2 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(MAGIC.length + 4 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

/**
 * Reads a little-endian float32 C-order `.npy` (version 1.x or 2.x) back.
 *
 * @example
 * const { data, shape } = decodeNpy(await fs.readFile('index/video_vt.npy')); // shape [n, 256]
 */
export function decodeNpy(bytes: Uint8Array): { data: Float32Array; shape: number[] } {
  if (!MAGIC.every((b, i) => bytes[i] === b)) throw new Error('decodeNpy: not a .npy file (no \\x93NUMPY magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  if (!/'descr':\s*'<f4'/.test(header)) throw new Error(`decodeNpy: only little-endian float32 is supported, header ${header.trim()}`);
  if (/'fortran_order':\s*True/.test(header)) throw new Error('decodeNpy: Fortran-order arrays are not supported');
  const m = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!m) throw new Error(`decodeNpy: no shape in header ${header.trim()}`);
  const shape = m[1]
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const offset = start + headerLen;
  const size = shape.reduce((a, b) => a * b, 1);
  if (bytes.byteLength - offset !== size * 4) throw new Error(`decodeNpy: ${bytes.byteLength - offset} data bytes for shape [${shape}] of float32`);
  const data = new Float32Array(size);
  new Uint8Array(data.buffer).set(bytes.subarray(offset, offset + size * 4));
  return { data, shape };
}
