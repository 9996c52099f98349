// Dependency-free SVG charts, one file per family under ./charts/.

export { Histogram, MultiHistory, PredictionBands, type Predictions } from "./charts/distributions";
export { ImportanceBars, LearningCurves } from "./charts/multi";
export { ParallelCoordinates } from "./charts/parallel";
export { FoldChi2Chart, HistoryChart, SelectionScatter, SliceChart, type TrialPoint } from "./charts/study";
