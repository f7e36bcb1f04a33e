export { OnnxGraphBuilder, type OnnxValue, type ValueSpec, type AttributeValue, type InitializerData } from './graph.js';
export {
  OnnxExportRegistry,
  OnnxExportContext,
  defaultOnnxRegistry,
  type OnnxExportRule,
  type OnnxRuleArgs,
  type OnnxRuleResult,
  type OnnxExportContextOptions,
  type ModuleClass,
} from './registry.js';
export { onnxGelu, onnxActivation, onnxMaskBias, onnxPrependToken, onnxPrependValid, onnxFirstToken, onnxPaddingMask } from './rules.js';
export { buildOnnxModel, exportModuleOnnx, type OnnxModuleExportOptions, type OnnxOutputSpec } from './export.js';
export {
  encodeOnnxModel,
  decodeOnnxModel,
  ONNX_IR_VERSION,
  ONNX_OPSET,
  OnnxDataType,
  type ModelData as OnnxModelData,
  type GraphData as OnnxGraphData,
  type NodeData as OnnxNodeData,
  type TensorProtoData as OnnxTensorData,
} from './proto.js';
