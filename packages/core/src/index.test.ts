import { expect, it } from 'vitest';

it('exports the public API', async () => {
  expect(Object.keys(await import('./index.js')).sort()).toMatchInlineSnapshot(`
    [
      "DEFAULT_RETRY",
      "ProteusError",
      "backoffDelay",
      "createHttpClient",
      "createRedactor",
      "createResourceTracker",
      "createRng",
      "createTestbedLifecycle",
      "currentProcessIdentity",
      "httpBodyOf",
      "httpStatusOf",
      "isProcessIdentityAlive",
      "isProteusError",
      "redactSecrets",
      "reportProgress",
      "restoreRng",
      "retryAfterMs",
      "scopedCode",
      "sleep",
      "throwIfAborted",
      "validateExperimentRequestFile",
      "withFileLock",
      "writeFileAtomic",
    ]
  `);
});
