import { expect, it } from 'vitest';

it('exports the public API', async () => {
  expect(Object.keys(await import('./index.js')).sort()).toMatchInlineSnapshot(`
    [
      "CAMPAIGN_LIMITS",
      "NONE_LABEL",
      "countPlannedRuns",
      "createController",
      "formatAdjacencyJson",
      "formatRunCsv",
      "formatRunId",
      "labelJob",
      "labelJobs",
      "loadCampaignConfig",
      "openExperimentLog",
      "parseCampaignConfig",
      "parseExperimentRequests",
      "planCampaign",
      "planExperimentRequests",
      "readExperimentLog",
      "requestKeyOf",
    ]
  `);
});
