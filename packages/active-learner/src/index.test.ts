import { describe, expect, it } from 'vitest';

describe('@proteus-wf/active-learner exports', () => {
  it('lists every public name (a change here is an API change)', async () => {
    expect(Object.keys(await import('./index.js')).sort()).toMatchInlineSnapshot(`
      [
        "MODEL_DRIVEN",
        "REACH_BOUNDS",
        "STOPPING_RULES",
        "STRATEGIES",
        "areaUnderLearningCurve",
        "assessAnomalyEffects",
        "cohenKappa",
        "createEmulationBackend",
        "createOptionBandit",
        "decideStop",
        "defineStoppingRule",
        "defineTrainingProtocol",
        "defineUpdateTerms",
        "describeAnomalyEffects",
        "emulateActiveLearning",
        "gradientEmbeddings",
        "jobUncertainty",
        "kCenterGreedy",
        "kMeansPlusPlus",
        "mannWhitneyGreater",
        "meanInterval",
        "minMaxConfidence",
        "optionKey",
        "optionOf",
        "parseExperimentRequestFile",
        "perNodeRelative",
        "reachOf",
        "readExperimentRequests",
        "readExperimentResults",
        "renderReport",
        "renderSvg",
        "requestLabel",
        "runActiveLearning",
        "runEmbeddings",
        "runOptionKeys",
        "runUncertainty",
        "samplesToReach",
        "seedCurveOf",
        "selectExperiments",
        "summarizeLearningCurves",
        "summarizePairedComparison",
        "summarizeStrategyMetrics",
        "surprise",
        "writeExperimentRequests",
      ]
    `);
  });
});
