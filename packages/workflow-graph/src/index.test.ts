import { expect, it } from 'vitest';

it('exports exactly the public API', async () => {
  expect(Object.keys(await import('./index.js')).sort()).toMatchInlineSnapshot(`
    [
      "MAX_JOB_NAME_BYTES",
      "WorkflowGraph",
      "adjacencyHash",
      "buildJobRecords",
      "buildWorkflowGraph",
      "checkJobName",
      "describeJobNameProblem",
      "detectWorkflowFormat",
      "detectWorkflowJson",
      "findCycle",
      "gcnAdjacency",
      "hasCycle",
      "hopDistances",
      "inferJobType",
      "levels",
      "loadWorkflowGraph",
      "meanAdjacency",
      "normalizeGen1JobName",
      "parseBraindump",
      "parseDagman",
      "parseDax",
      "parseFlowBenchAdjacency",
      "parseJobstateLog",
      "parseKickstart",
      "parsePegasusYaml",
      "parseWfFormat",
      "parseWorkflow",
      "parseWorkflowJson",
      "runPegasusWorkflow",
      "toDenseAdjacency",
      "toDot",
      "toJson",
      "topologicalOrder",
    ]
  `);
});
