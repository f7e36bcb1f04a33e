/**
 * The slice of the ONNX protobuf schema (onnx/onnx.proto, IR version 8) the exporter writes, as plain
 * object types, and their encoding through `onnx-proto` (a protobufjs build of that schema). The types
 * are ours, structurally equal to onnx-proto's `I*Proto` interfaces, so this package's typings do not
 * depend on onnx-proto; the encoder is loaded only when a model is serialised.
 */

/** `TensorProto.DataType` values used here (onnx.proto). */
export const OnnxDataType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9 } as const;
export type OnnxDataTypeCode = (typeof OnnxDataType)[keyof typeof OnnxDataType];

/** `AttributeProto.AttributeType` values (onnx.proto). */
export const OnnxAttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/** IR version 8 (onnx 1.10+; onnxruntime 1.30 reads up to 11, Debian's python3-onnx 1.12 checks up to 8). */
export const ONNX_IR_VERSION = 8;
/**
 * Default opset of the ai.onnx domain: 17, the first with `LayerNormalization` (ONNX operator spec,
 * LayerNormalization-17), supported by onnxruntime 1.30 (node and web) and by onnx 1.12's checker.
 */
export const ONNX_OPSET = 17;

export interface StringStringEntry {
  key: string;
  value: string;
}

export interface TensorProtoData {
  name: string;
  dims: number[];
  dataType: OnnxDataTypeCode;
  /** Little-endian bytes of the values (`raw_data`). */
  rawData?: Uint8Array;
  /** Set with `dataLocation: 1` (EXTERNAL): `location`, `offset`, `length` (onnx.proto external data). */
  externalData?: StringStringEntry[];
  dataLocation?: 0 | 1;
  docString?: string;
}

export interface AttributeData {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProtoData;
  floats?: number[];
  ints?: number[];
}

export interface NodeData {
  name: string;
  opType: string;
  domain?: string;
  input: string[];
  output: string[];
  attribute: AttributeData[];
  docString?: string;
}

/** One dimension: a fixed size or a symbolic name (`batch`). */
export type DimData = { dimValue: number } | { dimParam: string };

export interface ValueInfoData {
  name: string;
  type: { tensorType: { elemType: OnnxDataTypeCode; shape: { dim: DimData[] } } };
  docString?: string;
}

export interface GraphData {
  name: string;
  node: NodeData[];
  initializer: TensorProtoData[];
  input: ValueInfoData[];
  output: ValueInfoData[];
  docString?: string;
}

export interface ModelData {
  irVersion: number;
  opsetImport: Array<{ domain: string; version: number }>;
  producerName: string;
  producerVersion: string;
  docString?: string;
  graph: GraphData;
  metadataProps: StringStringEntry[];
}

interface OnnxProtoModule {
  onnx: { ModelProto: { encode(m: unknown): { finish(): Uint8Array }; decode(b: Uint8Array): unknown; toObject(m: unknown, o?: object): unknown } };
}

let onnxProto: Promise<OnnxProtoModule> | undefined;

/** Loads onnx-proto (CommonJS; its namespace is `onnx` on the module or on its default export). */
function loadOnnxProto(): Promise<OnnxProtoModule> {
  onnxProto ??= import('onnx-proto').then(
    (m: unknown) => {
      const mod = m as Partial<OnnxProtoModule> & { default?: Partial<OnnxProtoModule> };
      const ns = mod.onnx ?? mod.default?.onnx;
      if (!ns) throw new Error('onnx-proto: the module has no `onnx` namespace');
      return { onnx: ns };
    },
    (e: Error) => {
      onnxProto = undefined;
      throw new Error(`ONNX export needs the onnx-proto package (npm install onnx-proto@8): ${e.message}`);
    },
  );
  return onnxProto;
}

/**
 * Encodes a model as ONNX protobuf bytes (a `.onnx` file).
 *
 * @example
 * const bytes = await encodeOnnxModel(builder.build({ name: 'dense' }));
 * await fs.writeFile('dense.onnx', bytes);
 */
export async function encodeOnnxModel(model: ModelData): Promise<Uint8Array> {
  const { onnx } = await loadOnnxProto();
  return onnx.ModelProto.encode(model).finish();
}

/**
 * Decodes `.onnx` bytes into a plain object (for tests and inspection: op types, initializer names).
 *
 * @example
 * const m = await decodeOnnxModel(bytes);
 * m.graph.node.map((n) => n.opType); // ['MatMul', 'Add', ...]
 */
export async function decodeOnnxModel(bytes: Uint8Array): Promise<ModelData> {
  const { onnx } = await loadOnnxProto();
  return onnx.ModelProto.toObject(onnx.ModelProto.decode(bytes), { longs: Number, defaults: false, arrays: true }) as ModelData;
}
