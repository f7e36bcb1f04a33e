/**
 * NumPy `.npy` files (format version 1.0: magic `\x93NUMPY`, version, a little-endian u16 header length, a
 * Python-dict header padded with spaces to a 64-byte boundary and ended by a newline, then the raw
 * C-order data), for float32 matrices that `numpy.load` reads as they are. The header parser reads
 * versions 1.0 to 3.0 and any element type (the word-table reader of checkpoint/official uses it too).
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

/** A malformed `.npy` header; `offset` is where in the file the problem lies. */
export class NpyFormatError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'NpyFormatError';
  }
}

/** What a `.npy` header says. */
export interface NpyHeader {
  /** Format version, major (1, 2 or 3) and minor. */
  version: [number, number];
  /** numpy's element type string: `<f4`, `>f8`, `|u1`... */
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Where the data starts (the header's end). */
  dataOffset: number;
  /** The header dict as written, for messages. */
  text: string;
}

/**
 * Parses the header of a `.npy` file (NEP 1, format versions 1.0, 2.0 and 3.0: a u16 header length in
 * 1.x, u32 in 2.x and 3.x, a latin1 dict, UTF-8 in 3.x). Throws `NpyFormatError` for anything else.
 *
 * @example
 * parseNpyHeader(encodeNpy(Float32Array.of(1, 2, 3, 4), [2, 2])); // { descr: '<f4', shape: [2, 2], dataOffset: 64, ... }
 */
export function parseNpyHeader(bytes: Uint8Array): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new NpyFormatError('not a .npy file (no \\x93NUMPY magic)', 0);
  const [major, minor] = [bytes[6], bytes[7]];
  if (major < 1 || major > 3) throw new NpyFormatError(`.npy format version ${major}.${minor} is not 1, 2 or 3`, 6);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(text)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(text)?.[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1];
  if (!descr || !fortran || shape === undefined) throw new NpyFormatError(`unreadable .npy header ${JSON.stringify(text.trim())}`, start);
  const dims = shape
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d.length)
    .map(Number);
  return { version: [major, minor], descr, fortranOrder: fortran === 'True', shape: dims, dataOffset: start + headerLen, text };
}

/**
 * Reads a little-endian float32 C-order `.npy` (version 1.x, 2.x or 3.x) back.
 *
 * @example
 * const { data, shape } = decodeNpy(await fs.readFile('index/video_vt.npy')); // shape [n, 256]
 */
export function decodeNpy(bytes: Uint8Array): { data: Float32Array; shape: number[] } {
  let h: NpyHeader;
  try {
    h = parseNpyHeader(bytes);
  } catch (e) {
    if (e instanceof NpyFormatError) throw new Error(`decodeNpy: ${e.message}`, { cause: e });
    throw e;
  }
  if (h.descr !== '<f4') throw new Error(`decodeNpy: only little-endian float32 is supported, header ${h.text.trim()}`);
  if (h.fortranOrder) throw new Error('decodeNpy: Fortran-order arrays are not supported');
  const { shape, dataOffset: offset } = h;
  const size = shape.reduce((a, b) => a * b, 1);
  if (bytes.byteLength - offset !== size * 4) throw new Error(`decodeNpy: ${bytes.byteLength - offset} data bytes for shape [${shape}] of float32`);
  const data = new Float32Array(size);
  new Uint8Array(data.buffer).set(bytes.subarray(offset, offset + size * 4));
  return { data, shape };
}
