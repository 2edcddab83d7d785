import { createRequire } from 'node:module';
import type { Argv } from 'yargs';
import { type CliIo, printResult } from '../cli-io.js';

/** `proteus version`: the versions of the CLI, Node and the platform (for bug reports). */
export function registerVersionCommands(cli: Argv, io: CliIo): Argv {
  return cli.command(
    'version',
    'Print the versions of proteus and its runtime',
    (y) => y.option('json', { type: 'boolean', default: false, describe: 'Print one JSON object' }),
    (argv) => {
      // By package name, not a relative path: this file runs from src/commands/ in tests and from dist/ when built.
      const manifest = createRequire(import.meta.url)('@proteus-wf/cli/package.json') as { version: string };
      const info = {
        proteus: manifest.version,
        node: process.versions.node,
        platform: `${process.platform}-${process.arch}`,
      };
      printResult(io, info, { json: argv.json, table: (v) => `proteus ${v.proteus} (node ${v.node}, ${v.platform})` });
    },
  );
}
