export {
  lineChart,
  heatmap,
  scatter,
  sideBySide,
  niceTicks,
  viridis,
  PALETTE,
  type LineSeries,
  type LineChartSpec,
  type HeatmapSpec,
  type ScatterPoint,
  type ScatterSpec,
} from './svg.js';
export { parseTrainingLog, trainingCurves, textVideoSimilarity, tsne, type LoggedStep, type TsneOptions } from './data.js';
export { trainingCurvesPlot, similarityPlot, tsnePlot } from './plots.js';
export { writePlot, svgToPng } from './write.js';
export { writeFileAtomic } from '../durable-files.js';
