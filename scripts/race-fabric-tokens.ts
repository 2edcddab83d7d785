// Token race of FABRIC credentials (issue 13 item 4): R rounds of C concurrent `proteus testbed fabric status`
// processes against the loopback FABRIC fake, which rotates the refresh token on every refresh as the real
// credential manager does. Prints one JSON line per round and a summary line: failed processes and refreshes.
// Usage: node --import ./examples/01-live-loop/scripts/register.mjs scripts/race-fabric-tokens.ts [--rounds 5] [--concurrent 3]
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { raceFabricStatus } from '../tooling/test-utils/src/race-fabric-status.js';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, concurrent: { type: 'string', default: '3' } },
});
const rounds = Number(values.rounds);
const concurrent = Number(values.concurrent);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100 || !Number.isInteger(concurrent) || concurrent < 1) {
  console.error('race-fabric-tokens: --rounds 1..100 and --concurrent >= 1');
  process.exit(1);
}
const repo = join(import.meta.dirname, '..');
const summary = await raceFabricStatus({
  rounds,
  concurrent,
  spawnCli: (args, env) =>
    spawn(
      process.execPath,
      [
        '--import',
        join(repo, 'examples', '01-live-loop', 'scripts', 'register.mjs'),
        join(repo, 'packages', 'cli', 'src', 'bin.ts'),
        ...args,
      ],
      { env, cwd: repo },
    ),
  onRound: (round) => console.log(JSON.stringify(round)),
});
console.log(JSON.stringify({ ...summary, loadavg: loadavg() }));
process.exitCode = summary.failed === 0 ? 0 : 1;
