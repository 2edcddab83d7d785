import { expect, it } from 'vitest';

it('exports the public API', async () => {
  expect(Object.keys(await import('./index.js')).sort()).toMatchInlineSnapshot(`
    [
      "FABRIC_DEFAULTS",
      "assignFabricRoles",
      "buildFabricRequestGraph",
      "createFabricTestbed",
      "createFabricTokenStore",
      "createHttpClient",
      "createOrchestratorClient",
      "createRedactor",
      "defaultUserOf",
      "describeStep",
      "forgetHostKeys",
      "formatFabricTime",
      "listKnownHosts",
      "loadFabricTopology",
      "parseFabricTopology",
      "planFabricTestbed",
      "planPoolDeployment",
      "rootCauseNotices",
    ]
  `);
});
