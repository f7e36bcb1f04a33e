/**
 * A small ONNX graph builder: nodes, named initializers, graph inputs and outputs, with unique value
 * names scoped by module path. It only collects plain objects (`ModelData`); `encodeOnnxModel` turns
 * them into bytes. Operators and attributes follow the ONNX operator spec at opset 17.
 */
import {
  ONNX_IR_VERSION,
  ONNX_OPSET,
  OnnxAttributeType,
  OnnxDataType,
  type AttributeData,
  type DimData,
  type ModelData,
  type NodeData,
  type OnnxDataTypeCode,
  type TensorProtoData,
  type ValueInfoData,
} from './proto.js';

/** The name of a value (tensor) in the graph. */
export type OnnxValue = string;

/** An attribute value: number (int when `Number.isInteger` and not forced float), number[] (ints), string, or a tagged float. */
export type AttributeValue = number | number[] | string | { float: number } | { floats: number[] };

/** A typed array an initializer can hold. */
export type InitializerData = Float32Array | Int32Array | BigInt64Array | Uint8Array;

/** A graph input or output: element type and shape, each dimension a size or a symbolic name. */
export interface ValueSpec {
  name: string;
  dtype: 'float32' | 'int32' | 'int64';
  shape: ReadonlyArray<number | string>;
  doc?: string;
}

const DTYPE_CODE: Record<ValueSpec['dtype'], OnnxDataTypeCode> = { float32: OnnxDataType.FLOAT, int32: OnnxDataType.INT32, int64: OnnxDataType.INT64 };

function dataTypeOf(data: InitializerData): OnnxDataTypeCode {
  if (data instanceof Float32Array) return OnnxDataType.FLOAT;
  if (data instanceof Int32Array) return OnnxDataType.INT32;
  if (data instanceof BigInt64Array) return OnnxDataType.INT64;
  return OnnxDataType.BOOL;
}

/** Little-endian bytes of a typed array (every platform Node and browsers run on is little-endian). */
function bytesOf(data: InitializerData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function attribute(name: string, v: AttributeValue): AttributeData {
  if (typeof v === 'string') return { name, type: OnnxAttributeType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: OnnxAttributeType.INTS, ints: v };
  if (typeof v === 'object' && 'floats' in v) return { name, type: OnnxAttributeType.FLOATS, floats: v.floats };
  if (typeof v === 'object') return { name, type: OnnxAttributeType.FLOAT, f: v.float };
  if (!Number.isInteger(v)) return { name, type: OnnxAttributeType.FLOAT, f: v };
  return { name, type: OnnxAttributeType.INT, i: v };
}

function valueInfo(spec: ValueSpec): ValueInfoData {
  const dim: DimData[] = spec.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name: spec.name, type: { tensorType: { elemType: DTYPE_CODE[spec.dtype], shape: { dim } } }, ...(spec.doc ? { docString: spec.doc } : {}) };
}

/**
 * Collects one ONNX graph. Value names are `<scope>/<op>_<n>`; initializers keep the name they are given
 * (the exporter passes parameter paths such as `video/tx/layers/0/mha/q/kernel`), so an exported model can
 * be read back by checkpoint name.
 *
 * @example
 * const g = new OnnxGraphBuilder();
 * const x = g.input({ name: 'x', dtype: 'float32', shape: ['batch', 4] });
 * const w = g.initializer('w', Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), [4, 2]);
 * g.output(g.op('MatMul', [x, w]), { name: 'y', dtype: 'float32', shape: ['batch', 2] });
 * const bytes = await encodeOnnxModel(g.build({ name: 'tiny' }));
 */
export class OnnxGraphBuilder {
  private readonly nodes: NodeData[] = [];
  private readonly initializers = new Map<string, TensorProtoData>();
  private readonly inputs: ValueInfoData[] = [];
  private readonly outputs: ValueInfoData[] = [];
  private readonly used = new Set<string>();
  private readonly scopes: string[] = [];
  private readonly constants = new Map<string, string>();
  private counter = 0;
  /** Bytes of all initializers so far. */
  initializerBytes = 0;

  /** Runs `fn` with `name` appended to the scope of new value names. */
  scoped<T>(name: string, fn: () => T): T {
    this.scopes.push(name);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  /** The current scope path (`video/tx/layers/0`). */
  get scope(): string {
    return this.scopes.join('/');
  }

  /** A fresh value name under the current scope. */
  fresh(hint: string): OnnxValue {
    const base = this.scope ? `${this.scope}/${hint}` : hint;
    let name = base;
    while (this.used.has(name)) name = `${base}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  /** Declares a graph input. */
  input(spec: ValueSpec): OnnxValue {
    if (this.used.has(spec.name)) throw new Error(`ONNX graph: duplicate name "${spec.name}"`);
    this.used.add(spec.name);
    this.inputs.push(valueInfo(spec));
    return spec.name;
  }

  /** Makes `value` a graph output named `spec.name` (an Identity node renames it when needed). */
  output(value: OnnxValue, spec: ValueSpec): void {
    let v = value;
    if (v !== spec.name) {
      if (this.used.has(spec.name)) throw new Error(`ONNX graph: output name "${spec.name}" is already used`);
      this.used.add(spec.name);
      this.nodes.push({ name: `${spec.name}/identity`, opType: 'Identity', input: [v], output: [spec.name], attribute: [] });
      v = spec.name;
    }
    this.outputs.push(valueInfo({ ...spec, name: v }));
  }

  /** Whether an initializer of that name exists. */
  hasInitializer(name: string): boolean {
    return this.initializers.has(name);
  }

  /** Adds a named initializer (a weight or a constant) and returns its name. Names must be unique. */
  initializer(name: string, data: InitializerData, dims: readonly number[], doc?: string): OnnxValue {
    const size = dims.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new Error(`ONNX initializer ${name}: ${data.length} values for shape [${dims}]`);
    if (this.used.has(name)) throw new Error(`ONNX graph: duplicate name "${name}"`);
    this.used.add(name);
    this.initializers.set(name, { name, dims: [...dims], dataType: dataTypeOf(data), rawData: bytesOf(data), ...(doc ? { docString: doc } : {}) });
    this.initializerBytes += data.byteLength;
    return name;
  }

  /** A float32 constant (scalar when `dims` is []), shared by value and shape within the graph. */
  constFloat(values: number | readonly number[], dims: readonly number[] = typeof values === 'number' ? [] : [values.length]): OnnxValue {
    return this.sharedConstant(Float32Array.from(typeof values === 'number' ? [values] : values), dims);
  }

  /** An int64 constant (shapes, axes, slice bounds). */
  constInt64(values: readonly number[], dims: readonly number[] = [values.length]): OnnxValue {
    return this.sharedConstant(BigInt64Array.from(values.map((v) => BigInt(v))), dims);
  }

  /** An int32 constant. */
  constInt32(values: Int32Array | readonly number[], dims: readonly number[] = [values.length]): OnnxValue {
    return this.sharedConstant(values instanceof Int32Array ? values : Int32Array.from(values), dims);
  }

  private sharedConstant(data: Float32Array | BigInt64Array | Int32Array, dims: readonly number[]): OnnxValue {
    const small = data.length <= 16;
    const key = small ? `${data.constructor.name}:${dims.join('x')}:${Array.from(data as ArrayLike<number | bigint>, String).join(',')}` : '';
    const known = small ? this.constants.get(key) : undefined;
    if (known) return known;
    const kind = data instanceof Float32Array ? 'f32' : data instanceof Int32Array ? 'i32' : 'i64';
    let name = `const/${kind}_${this.constants.size}`;
    while (this.used.has(name)) name = `const/${kind}_${++this.counter}`;
    this.initializer(name, data, dims);
    if (small) this.constants.set(key, name);
    return name;
  }

  /**
   * Adds a node and returns its output names (one unless `outputs` > 1).
   * Attributes: integers become INT, other numbers FLOAT, arrays INTS, strings STRING.
   */
  op(opType: string, inputs: ReadonlyArray<OnnxValue | ''>, attrs: Record<string, AttributeValue> = {}, hint = opType): OnnxValue {
    return this.opN(opType, inputs, 1, attrs, hint)[0];
  }

  /** `op` with several outputs. */
  opN(opType: string, inputs: ReadonlyArray<OnnxValue | ''>, outputs: number, attrs: Record<string, AttributeValue> = {}, hint = opType): OnnxValue[] {
    const outs = Array.from({ length: outputs }, (_, i) => this.fresh(outputs > 1 ? `${hint}_out${i}` : hint));
    this.nodes.push({
      name: `${outs[0]}/node`,
      opType,
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  /** Number of nodes so far. */
  get nodeCount(): number {
    return this.nodes.length;
  }

  /** The model: IR 8, ai.onnx opset 17, producer vatt.ts, `metadata` as metadata_props. */
  build(opts: { name: string; doc?: string; metadata?: Record<string, string>; opset?: number }): ModelData {
    if (!this.outputs.length) throw new Error(`ONNX graph ${opts.name}: no outputs`);
    // A protobuf message is limited to 2 GiB (onnx.proto's note on external data); weights beyond that would
    // need the external-data format, which this exporter does not write.
    if (this.initializerBytes > 2 ** 31 - 2 ** 26) {
      throw new Error(
        `ONNX graph ${opts.name}: ${(this.initializerBytes / 2 ** 30).toFixed(2)} GiB of weights exceed the 2 GiB protobuf limit of one .onnx file ` +
          '(external data is not supported by this exporter)',
      );
    }
    return {
      irVersion: ONNX_IR_VERSION,
      opsetImport: [{ domain: '', version: opts.opset ?? ONNX_OPSET }],
      producerName: 'vatt.ts',
      producerVersion: '0.1.0',
      ...(opts.doc ? { docString: opts.doc } : {}),
      graph: {
        name: opts.name,
        node: this.nodes,
        initializer: [...this.initializers.values()],
        input: this.inputs,
        output: this.outputs,
      },
      metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
    };
  }
}
