import { expect, it } from 'vitest';

it('exports exactly the public API', async () => {
  expect(Object.keys(await import('./index.js')).sort()).toMatchInlineSnapshot(`
    [
      "buildJobRecords",
      "createPoolWorkflowRunner",
      "createSubmitDirWriter",
      "findSubmitDirs",
      "followSubmitDir",
      "isSubmitDir",
      "loadSubmitDirs",
      "parseBraindump",
      "parseJobstateLog",
      "parseKickstart",
      "readSubmitDir",
      "runPegasusWorkflow",
    ]
  `);
});
