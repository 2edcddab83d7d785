export type { CliIo } from './cli-io.js';
export { formatTable, printResult } from './cli-io.js';
export { createProgram } from './main.js';
export type { CliOutcome } from './run-cli.js';
export { runCli } from './run-cli.js';
