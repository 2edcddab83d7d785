import { expect, it } from 'vitest';

it('exports the public API', async () => {
  expect(Object.keys(await import('./index.js')).sort()).toMatchInlineSnapshot(`
    [
      "FABRIC_DEFAULTS",
      "assignFabricRoles",
      "buildFabricRequestGraph",
      "createFabricTestbed",
      "createFabricTokenStore",
      "createOrchestratorClient",
      "defaultUserOf",
      "formatFabricTime",
      "loadFabricTopology",
      "parseFabricTopology",
      "planFabricTestbed",
      "rootCauseNotices",
    ]
  `);
});
