/**
 * The frozen word table of the text tower, from the files of the official release (`misc_data.tgz`,
 * extracted under `vatt/misc/`): `word2vec.pkl` is read by `utils/train/restore.py assign_word_embeddings`
 * as `pickle.load(f)["word_embeddings"]`, a numpy array `[2^16, 300]` (docs/numerics.md §1.3); the
 * vocabulary is `howto100m_en.txt`, read by DMVR's `WordTokenizer` (`data/processing.py get_vocab_path`),
 * which `loadVocabulary` of @vatt/tokenizers reads.
 *
 * The released pickle could not be inspected (its link has answered 403 since 2021, docs/numerics.md
 * §10.1), so its exact pickle protocol is unknown. Rather than a general unpickler (which runs whatever
 * the file names: unsafe, and no well-kept npm library reads numpy pickles), this is a small stack
 * machine for exactly what `pickle.dump({"word_embeddings": array})` writes with numpy 1.x or 2.x and
 * protocols 2 to 5 (`_reconstruct` + `__setstate__` up to protocol 4, `_frombuffer` with an in-band
 * buffer at 5; bytes as `_codecs.encode(..., "latin1")` at protocol 2): dicts, lists, tuples, strings,
 * numbers and those numpy globals, nothing else. Any other global is refused by name. The tests run it
 * on pickles written by numpy 1.24 and 2.4 at every protocol. A `.npy` file (`numpy.save`, format
 * versions 1 to 3) is read too, so any Python user can convert an unusual pickle:
 * `python -c "import pickle, numpy; numpy.save('word2vec.npy', pickle.load(open('word2vec.pkl', 'rb'))['word_embeddings'])"`.
 */
import { promises as fs } from 'node:fs';
import { NpyFormatError, parseNpyHeader, type NpyHeader } from '../../onnx/npy.js';
import { float16ToFloat32, numElements } from '../tf/index.js';
import { swapBytes } from '../tf/dtypes.js';
import { OfficialCheckpointError } from './errors.js';

/** A word table as float32, row-major `[rows, dim]`. */
export interface WordTable {
  data: Float32Array;
  shape: [number, number];
  /** The element type the file stored (`<f4`, `<f8`, ...). */
  stored: string;
}

/** A numpy array as the pickle or .npy file describes it. */
interface NdArray {
  descr: string;
  shape: number[];
  fortran: boolean;
  bytes: Uint8Array;
}

const bad = (file: string, why: string, offset?: number) =>
  new OfficialCheckpointError('TEXT_FILES', `word embeddings ${file}: ${why}`, { file, ...(offset === undefined ? {} : { offset }) });

/** numpy element types as (little/big endian, kind, size): '<f4', '>f8', '|f2' -> float32 values. */
function toFloat32(a: NdArray, file: string): Float32Array {
  const m = /^([<>|=]?)([fi])(\d)$/.exec(a.descr);
  if (!m) throw bad(file, `element type "${a.descr}" is not a float or int type (expected <f4, <f8 or <f2)`);
  const [, order, kind, sizeText] = m;
  const size = Number(sizeText);
  const n = numElements(a.shape);
  if (a.bytes.byteLength !== n * size) throw bad(file, `holds ${a.bytes.byteLength} data bytes, ${a.descr} [${a.shape}] needs ${n * size}`);
  // Copy into an aligned buffer, swapping to little-endian when the file is big-endian.
  const bytes = new Uint8Array(a.bytes);
  if (order === '>') swapBytes(bytes, size);
  let out: Float32Array;
  if (kind === 'f' && size === 4) out = new Float32Array(bytes.buffer, 0, n);
  else if (kind === 'f' && size === 8) out = Float32Array.from(new Float64Array(bytes.buffer, 0, n));
  else if (kind === 'f' && size === 2) out = float16ToFloat32(new Uint16Array(bytes.buffer, 0, n));
  else throw bad(file, `element type "${a.descr}" is not a floating-point type`);
  if (!a.fortran || a.shape.length !== 2) return out;
  // Fortran order: column-major; transpose into row-major.
  const [r, c] = a.shape;
  const t = new Float32Array(n);
  for (let j = 0; j < c; j++) for (let i = 0; i < r; i++) t[i * c + j] = out[j * r + i];
  return t;
}

/** Parses a `.npy` file (numpy's NEP 1 format, versions 1.0, 2.0, 3.0). */
function parseNpy(buf: Uint8Array, file = '.npy'): NdArray {
  let h: NpyHeader;
  try {
    h = parseNpyHeader(buf);
  } catch (e) {
    if (e instanceof NpyFormatError) throw bad(file, e.message, e.offset);
    throw e;
  }
  return { descr: h.descr, fortran: h.fortranOrder, shape: h.shape, bytes: buf.subarray(h.dataOffset) };
}

// ---------------------------------------------------------------------------------------------------
// A restricted unpickler (see the file comment). Python values as: null, boolean, number | bigint,
// string, PyBytes, PyTuple, Array (list), Map (dict), PyGlobal, PyDtype, NdArray placeholders.

class PyBytes {
  constructor(readonly data: Uint8Array) {}
}
class PyTuple {
  constructor(readonly items: unknown[]) {}
}
class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}
class PyDtype {
  byteorder = '=';
  constructor(readonly code: string) {}
  get descr(): string {
    const o = this.byteorder === '=' ? '<' : this.byteorder; // '=': native; every machine that wrote these is little-endian
    return `${o === '|' ? '<' : o}${this.code}`;
  }
}
class PyArray {
  array?: NdArray;
}
const MARK = Symbol('mark');

const ALLOWED_GLOBALS = new Set([
  'numpy.core.multiarray._reconstruct',
  'numpy._core.multiarray._reconstruct',
  'numpy.core.numeric._frombuffer',
  'numpy._core.numeric._frombuffer',
  'numpy.ndarray',
  'numpy.dtype',
  '_codecs.encode',
  'collections.OrderedDict',
]);

const ints = (v: unknown): number[] | undefined =>
  v instanceof PyTuple && v.items.every((x) => typeof x === 'number' || typeof x === 'bigint') ? v.items.map(Number) : undefined;

/**
 * Unpickles the subset of pickle that numpy arrays in dicts use (protocols 2-5). Returns the top value
 * (Maps for dicts, `NdArray`s for arrays).
 */
function unpickle(buf: Uint8Array, file = '.pkl'): unknown {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  const utf8 = new TextDecoder('utf-8');
  const latin1 = new TextDecoder('latin1');
  let pos = 0;
  const need = (n: number) => {
    if (pos + n > buf.length) throw bad(file, `truncated pickle: ${n} bytes needed at offset ${pos}, the file has ${buf.length}`, pos);
  };
  const u8 = () => (need(1), buf[pos++]);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(file, `a length of ${v} bytes at offset ${pos - 8}`, pos - 8);
    return Number(v);
  };
  const take = (n: number) => (need(n), (pos += n), buf.subarray(pos - n, pos));
  const line = () => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) throw bad(file, `truncated pickle: no end of line after offset ${pos}`, pos);
    const s = latin1.decode(buf.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = () => {
    if (!stack.length) throw bad(file, `malformed pickle: stack underflow at offset ${pos}`, pos);
    return stack.pop();
  };
  const popMark = () => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw bad(file, `malformed pickle: no MARK before offset ${pos}`, pos);
    const items = stack.splice(i);
    items.shift();
    return items;
  };
  const global = (module: string, name: string) => {
    const g = new PyGlobal(module, name);
    if (!ALLOWED_GLOBALS.has(g.qualified)) {
      throw bad(
        file,
        `refusing to unpickle the global ${g.qualified} (offset ${pos}): only a dict of numpy arrays is read; ` +
          "convert the table with numpy.save('word2vec.npy', array) and pass the .npy",
        pos,
      );
    }
    return g;
  };
  const call = (f: unknown, args: unknown): unknown => {
    if (!(f instanceof PyGlobal) || !(args instanceof PyTuple)) throw bad(file, `malformed pickle: REDUCE on ${String(f)} at offset ${pos}`, pos);
    const a = args.items;
    switch (f.qualified) {
      case 'numpy.core.multiarray._reconstruct':
      case 'numpy._core.multiarray._reconstruct':
        return new PyArray();
      case 'numpy.dtype':
        if (typeof a[0] !== 'string') throw bad(file, `numpy.dtype(${String(a[0])}) at offset ${pos}`, pos);
        return new PyDtype(a[0]);
      case 'numpy.core.numeric._frombuffer':
      case 'numpy._core.numeric._frombuffer': {
        const [buffer, dtype, shape, order] = a;
        const dims = ints(shape);
        if (!(buffer instanceof PyBytes) || !(dtype instanceof PyDtype) || !dims)
          throw bad(file, `malformed numpy _frombuffer arguments at offset ${pos}`, pos);
        const out = new PyArray();
        out.array = { descr: dtype.descr, shape: dims, fortran: order === 'F', bytes: buffer.data };
        return out;
      }
      case '_codecs.encode': {
        if (typeof a[0] !== 'string' || (a[1] !== 'latin1' && a[1] !== 'latin-1'))
          throw bad(file, `_codecs.encode with encoding ${String(a[1])} at offset ${pos}`, pos);
        const s = a[0];
        const out = new Uint8Array(s.length);
        for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
        return new PyBytes(out);
      }
      case 'collections.OrderedDict':
        return new Map();
      default:
        throw bad(file, `cannot call ${f.qualified} at offset ${pos}`, pos);
    }
  };
  const build = (obj: unknown, state: unknown) => {
    if (obj instanceof PyDtype && state instanceof PyTuple) {
      if (typeof state.items[1] === 'string') obj.byteorder = state.items[1];
      return;
    }
    if (obj instanceof PyArray && state instanceof PyTuple) {
      // ndarray.__setstate__((version, shape, dtype, is_fortran, rawdata))
      const [, shape, dtype, fortran, raw] = state.items;
      const dims = ints(shape);
      if (!dims || !(dtype instanceof PyDtype) || !(raw instanceof PyBytes)) {
        throw bad(file, `an array whose data is not raw bytes (an object array?) at offset ${pos}`, pos);
      }
      obj.array = { descr: dtype.descr, shape: dims, fortran: fortran === true, bytes: raw.data };
      return;
    }
    throw bad(file, `BUILD of an unsupported object at offset ${pos}`, pos);
  };
  const setItems = (items: unknown[]) => {
    const d = stack[stack.length - 1];
    if (!(d instanceof Map)) throw bad(file, `SETITEMS on a non-dict at offset ${pos}`, pos);
    for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
  };
  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw bad(file, `pickle protocol above 5 at offset ${at}`, at);
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) throw bad(file, `malformed pickle: ${stack.length} values left at STOP`, at);
        return stack[0];
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(new PyTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(new PyTuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(new PyTuple([pop(), b, c]));
        break;
      }
      case 0x64: {
        // DICT
        const items = popMark();
        const d = new Map();
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
        stack.push(d);
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        (stack[stack.length - 1] as unknown[]).push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        (stack[stack.length - 1] as unknown[]).push(...items);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems([k, v]);
        break;
      }
      case 0x75: // SETITEMS
        setItems(popMark());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x8a: {
        // LONG1: little-endian two's complement
        const b = take(u8());
        let v = 0n;
        for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        if (b.length && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x49: {
        // INT (protocol 0 text; "01"/"00" are True/False)
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : Number(s));
        break;
      }
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8.decode(take(u8())));
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8.decode(take(u32())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8.decode(take(u64())));
        break;
      case 0x55: // SHORT_BINSTRING (Python 2 str: latin-1 text here)
        stack.push(latin1.decode(take(u8())));
        break;
      case 0x54: // BINSTRING
        stack.push(latin1.decode(take(u32())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(new PyBytes(take(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(new PyBytes(take(u32())));
        break;
      case 0x8e: // BINBYTES8
        stack.push(new PyBytes(take(u64())));
        break;
      case 0x96: // BYTEARRAY8 (protocol 5 in-band buffers)
        stack.push(new PyBytes(take(u64())));
        break;
      case 0x97: // NEXT_BUFFER
      case 0x98: // READONLY_BUFFER
        throw bad(file, `the pickle uses out-of-band buffers (protocol 5 buffer_callback) at offset ${at}; they are not in the file`, at);
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw bad(file, `malformed STACK_GLOBAL at offset ${at}`, at);
        stack.push(global(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        build(stack[stack.length - 1], state);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), stack[stack.length - 1]);
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), stack[stack.length - 1]);
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, stack[stack.length - 1]);
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const k = op === 0x68 ? u8() : u32();
        if (!memo.has(k)) throw bad(file, `malformed pickle: memo ${k} unset at offset ${at}`, at);
        stack.push(memo.get(k));
        break;
      }
      case 0x30: // POP
        pop();
        break;
      default:
        throw bad(file, `unsupported pickle opcode 0x${op.toString(16)} at offset ${at} (not one a numpy array pickle uses)`, at);
    }
  }
}

function asArray(v: unknown): NdArray | undefined {
  return v instanceof PyArray ? v.array : undefined;
}

/**
 * Reads a word table from the official `word2vec.pkl` (its `word_embeddings` entry) or a `.npy` file.
 *
 * @example
 * const table = await readWordEmbeddings('misc/word2vec.pkl');
 * table.shape; // [65536, 300]
 */
export async function readWordEmbeddings(file: string): Promise<WordTable> {
  let buf: Uint8Array;
  try {
    buf = await fs.readFile(file);
  } catch (e) {
    throw new OfficialCheckpointError('TEXT_FILES', `cannot read the word embeddings ${file}: ${(e as Error).message}`, { file, cause: e });
  }
  let array: NdArray | undefined;
  if (buf[0] === 0x93) array = parseNpy(buf, file);
  else if (buf[0] === 0x80) {
    const top = unpickle(buf, file);
    const entry = top instanceof Map ? top.get('word_embeddings') : top;
    array = asArray(entry);
    if (!array) {
      const keys = top instanceof Map ? [...top.keys()].map(String).join(', ') : typeof top;
      throw bad(file, `no numpy array under "word_embeddings" (the pickle holds ${keys})`);
    }
  } else throw bad(file, 'neither a pickle (protocol 2-5) nor a .npy file', 0);
  if (array.shape.length !== 2) throw bad(file, `the table has shape [${array.shape}], expected [rows, dim]`);
  return { data: toFloat32(array, file), shape: [array.shape[0], array.shape[1]], stored: array.descr };
}
