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
      "detectCapabilities",
      "formatTarget",
      "parseAnomaly",
      "parseTarget",
      "planDockerFlags",
      "quoteShellArgument",
      "readLedger",
      "recoverLedger",
      "runnerForTarget",
      "validateAnomaly",
    ]
  `);
});
