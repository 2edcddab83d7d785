#!/usr/bin/env node
import { runCli } from './run-cli.js';

const controller = new AbortController();
let interrupted = 0;
// SIGHUP (a closed terminal or ssh session) ends a run like SIGTERM: anomalies are reverted, resources released.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    interrupted++;
    // First signal: let running work revert anomalies and release resources; a second one exits at once.
    if (interrupted > 1) process.exit(130);
    controller.abort(new Error(`received ${signal}`));
  });
}

const outcome = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTTY: Boolean(process.stderr.isTTY),
  signal: controller.signal,
});
process.exitCode = outcome.exitCode;
