import { describe, expect, it } from 'vitest';

describe('@proteus-wf/active-learner exports', () => {
  it('lists every public name (a change here is an API change)', async () => {
    expect(Object.keys(await import('./index.js')).sort()).toMatchInlineSnapshot(`
      [
        "STOPPING_RULES",
        "STRATEGIES",
        "areaUnderLearningCurve",
        "assessAnomalyEffects",
        "cohenKappa",
        "createEmulationBackend",
        "decideStop",
        "defineStoppingRule",
        "defineTrainingProtocol",
        "defineUpdateTerms",
        "describeAnomalyEffects",
        "emulateActiveLearning",
        "jobUncertainty",
        "kCenterGreedy",
        "mannWhitneyGreater",
        "meanInterval",
        "minMaxConfidence",
        "optionOf",
        "parseExperimentRequestFile",
        "perNodeRelative",
        "readExperimentRequests",
        "readExperimentResults",
        "renderReport",
        "renderSvg",
        "requestLabel",
        "runActiveLearning",
        "runUncertainty",
        "samplesToReach",
        "seedCurveOf",
        "selectExperiments",
        "summarizeLearningCurves",
        "summarizePairedComparison",
        "summarizeStrategyMetrics",
        "writeExperimentRequests",
      ]
    `);
  });
});
