import { expect, it } from 'vitest';

it('exports the public API', async () => {
  expect(Object.keys(await import('./index.js')).sort()).toMatchInlineSnapshot(`
    [
      "LEDGER_VERSION",
      "MAX_DURATION_SEC",
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
      "revertAtDeadline",
      "runDeploymentPlan",
      "runnerForTarget",
      "validateAnomaly",
    ]
  `);
});
