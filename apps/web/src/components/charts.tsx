// Dependency-free SVG charts, one file per family under ./charts/.

export { Histogram, MultiHistory, PredictionBands, type Predictions } from "./charts/distributions";
export { ImportanceBars, LearningCurves, ParallelCoordinates } from "./charts/multi";
export { FoldChi2Chart, HistoryChart, SelectionScatter, SliceChart, type TrialPoint } from "./charts/study";
