import { expect, it } from 'vitest';

it('exports exactly the public API', async () => {
  expect(Object.keys(await import('./index.js')).sort()).toMatchInlineSnapshot(`
    [
      "MAX_JOB_NAME_BYTES",
      "WorkflowGraph",
      "adjacencyHash",
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
      "parseDagman",
      "parseDax",
      "parseFlowBenchAdjacency",
      "parsePegasusYaml",
      "parseWfFormat",
      "parseWorkflow",
      "parseWorkflowJson",
      "toDenseAdjacency",
      "toDot",
      "toJson",
      "topologicalOrder",
    ]
  `);
});
