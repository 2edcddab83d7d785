import { expect, it } from 'vitest';

it('exports the public API', async () => {
  expect(Object.keys(await import('./index.js')).sort()).toMatchInlineSnapshot(`
    [
      "DELAY_COLUMNS",
      "FEATURE_PIPELINES",
      "GEN1_COLUMNS",
      "GEN2_COLUMNS",
      "JOB_TYPES",
      "NODE_HOP",
      "NORMAL_LABEL",
      "TEXT_COLUMNS",
      "TIMESTAMP_COLUMNS",
      "applyJobTypeScaler",
      "applyScaler",
      "buildDataset",
      "computeCompositeFeatures",
      "extractFeatures",
      "fitJobTypeScaler",
      "fitScaler",
      "formatFlowBenchCsv",
      "formatPythonFloat",
      "isTextColumn",
      "isTimestampColumn",
      "labelIndex",
      "labelMapFor",
      "loadFlowBench",
      "loadWfInstances",
      "mergedLabel",
      "normalizeJobLabel",
      "readDatasetArrow",
      "readWfInstance",
      "splitByJob",
      "splitByRun",
      "standardizeJobTypesPerRun",
      "summarizeDataset",
      "toFlowBenchRows",
      "toTensors",
      "traceColumns",
      "writeDatasetArrow",
    ]
  `);
});
