import { describe, expect, it } from 'vitest';

describe('@proteus-wf/active-learner exports', () => {
  it('lists every public name (a change here is an API change)', async () => {
    expect(Object.keys(await import('./index.js')).sort()).toMatchInlineSnapshot(`
      [
        "STRATEGIES",
        "areaUnderLearningCurve",
        "assessAnomalyEffects",
        "createEmulationBackend",
        "defineUpdateTerms",
        "describeAnomalyEffects",
        "emulateActiveLearning",
        "jobUncertainty",
        "kCenterGreedy",
        "mannWhitneyGreater",
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
        "selectExperiments",
        "summarizeLearningCurves",
        "writeExperimentRequests",
      ]
    `);
  });
});
