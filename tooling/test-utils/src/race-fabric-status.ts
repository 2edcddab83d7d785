import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFakeFabric } from './fake-fabric.js';
import { createTempDir } from './index.js';

/** One round of {@link raceFabricStatus}: how many of its concurrent processes failed, and their exit codes. */
export interface RaceRound {
  round: number;
  failed: number;
  exitCodes: number[];
  /** Refreshes the credential manager saw in this round. */
  refreshes: number;
  /** stderr of the failed processes (secrets are the fake's, not real ones). */
  errors: string[];
}

/** Totals of {@link raceFabricStatus}. */
export interface RaceSummary {
  rounds: number;
  concurrent: number;
  processes: number;
  failed: number;
  /** Refreshes during the rounds (the provision before them is not counted). */
  refreshes: number;
}

/**
 * Provisions a slice on the loopback FABRIC fake with one `proteus testbed fabric provision --no-deploy`, then runs
 * `rounds` rounds of `concurrent` simultaneous `proteus testbed fabric status --json` processes that share one token
 * file, as a user with several terminals does. `spawnCli` starts the CLI with the given arguments and environment.
 */
export async function raceFabricStatus(options: {
  rounds: number;
  concurrent: number;
  spawnCli: (args: string[], env: NodeJS.ProcessEnv) => ChildProcess;
  onRound?: (round: RaceRound) => void;
}): Promise<RaceSummary> {
  const refreshToken = 'race-refresh-token-0';
  const fabric = await startFakeFabric({ refreshToken, configuringPolls: 1 });
  const dir = await createTempDir('proteus-token-race-');
  try {
    const topology = join(dir.path, 'topology.json');
    await writeFile(topology, JSON.stringify({ name: 'race', fabric: { site: 'STAR', nodes: [{ name: 'submit' }] } }));
    const publicKey = join(dir.path, 'slice.pub');
    await writeFile(publicKey, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIRace race@proteus\n');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: dir.path,
      FABRIC_TOKEN_LOCATION: join(dir.path, 'tokens.json'),
      FABRIC_REFRESH_TOKEN: refreshToken,
      FABRIC_CREDMGR_HOST: fabric.credmgrUrl,
      FABRIC_ORCHESTRATOR_HOST: fabric.orchestratorUrl,
      FABRIC_BASTION_USERNAME: 'race_0001',
      FABRIC_SLICE_PUBLIC_KEY_FILE: publicKey,
      XDG_STATE_HOME: join(dir.path, 'state'),
    };
    const common = ['--topology', topology, '--state', join(dir.path, 'race-state.json'), '--poll-ms', '1'];
    const provision = await runToEnd(
      options.spawnCli(['testbed', 'fabric', 'provision', '--no-deploy', ...common], env),
    );
    if (provision.code !== 0) throw new Error(`provision failed (${provision.code}): ${provision.stderr}`);
    const before = fabric.refreshes;
    let failed = 0;
    for (let round = 1; round <= options.rounds; round++) {
      const atStart = fabric.refreshes;
      const outcomes = await Promise.all(
        Array.from({ length: options.concurrent }, () =>
          runToEnd(options.spawnCli(['testbed', 'fabric', 'status', '--json', ...common], env)),
        ),
      );
      const failures = outcomes.filter((o) => o.code !== 0);
      failed += failures.length;
      options.onRound?.({
        round,
        failed: failures.length,
        exitCodes: outcomes.map((o) => o.code),
        refreshes: fabric.refreshes - atStart,
        errors: failures.map((o) => o.stderr.trim().slice(0, 300)),
      });
    }
    return {
      rounds: options.rounds,
      concurrent: options.concurrent,
      processes: options.rounds * options.concurrent,
      failed,
      refreshes: fabric.refreshes - before,
    };
  } finally {
    await fabric.close();
    await dir.dispose();
  }
}

function runToEnd(child: ChildProcess): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout?.resume();
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stderr }));
  });
}
