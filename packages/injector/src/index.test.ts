import { expect, it } from 'vitest';

it('exports the public API', async () => {
  expect(Object.keys(await import('./index.js')).sort()).toMatchInlineSnapshot(`
    [
      "buildSshArgs",
      "createInjector",
      "createLocalRunner",
      "createNetnsRunner",
      "createSshRunner",
      "describeAnomaly",
      "describeStep",
      "detectCapabilities",
      "forgetHostKeys",
      "formatTarget",
      "listKnownHosts",
      "parseAnomaly",
      "parseTarget",
      "planDockerFlags",
      "planPoolDeployment",
      "quoteShellArgument",
      "readAnomalyCounters",
      "readLedger",
      "recoverLedger",
      "runDeploymentPlan",
      "runnerForTarget",
      "validateAnomaly",
    ]
  `);
});
