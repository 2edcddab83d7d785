import { expect, it } from 'vitest';

it('exports the public API', async () => {
  expect(Object.keys(await import('./index.js')).sort()).toMatchInlineSnapshot(`
    [
      "createProgram",
      "formatTable",
      "printResult",
      "runCli",
    ]
  `);
});
