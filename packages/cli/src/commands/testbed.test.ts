import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir, type FakeFabric, startFakeFabric } from '@proteus-wf/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.js';

const SECRETS = {
  FABRIC_REFRESH_TOKEN: 'refresh-cli-secret-7f6e5d',
  OS_APPLICATION_CREDENTIAL_SECRET: 'os-cli-secret-4c3b2a',
  PROTEUS_POOL_PASSWORD: 'pool-cli-secret-1a2b3c',
};
const topology = {
  name: 'px-cli',
  fabric: {
    site: 'STAR',
    nodes: [
      { name: 'submit', cores: 16, ram: 32, disk: 100, image: 'default_ubuntu_22' },
      { name: 'data', cores: 16, ram: 32, disk: 500, image: 'default_ubuntu_22' },
    ],
  },
  chameleon: { site: 'CHI@UC', nodeType: 'compute_cascadelake_r', count: 2, image: 'CC-Ubuntu22.04', hours: 4 },
};

let dir: { path: string; dispose: () => Promise<void> };
let topologyFile: string;
beforeEach(async () => {
  dir = await createTempDir('proteus-cli-testbed-');
  topologyFile = join(dir.path, 'topology.json');
  await writeFile(topologyFile, JSON.stringify(topology));
});
afterEach(async () => {
  await dir.dispose();
});

describe('proteus testbed', () => {
  it.each(['fabric', 'chameleon'])(
    '%s plan --dry-run --json prints the API calls and deployment steps, and no secret',
    async (kind) => {
      const env = {
        ...SECRETS,
        OS_APPLICATION_CREDENTIAL_ID: 'cred-id',
        OS_AUTH_URL: 'https://chi.uc.chameleoncloud.org:5000/v3',
      };
      for (const action of ['plan', 'provision']) {
        const outcome = await runCli(['testbed', kind, action, '--topology', topologyFile, '--dry-run', '--json'], {
          env,
          cwd: dir.path,
        });
        expect(outcome.exitCode, outcome.stderr).toBe(0);
        const plan = JSON.parse(outcome.stdout);
        expect(plan).toMatchObject({ dryRun: true, testbed: kind, name: 'px-cli' });
        expect(plan.apiCalls.length).toBeGreaterThan(4);
        expect(plan.deployment.some((s: { command: string }) => s.command.includes('<secret:pool-password>'))).toBe(
          true,
        );
        for (const secret of Object.values(SECRETS)) expect(outcome.stdout + outcome.stderr).not.toContain(secret);
      }
      const table = await runCli(['testbed', kind, 'plan', '--topology', topologyFile], { env: {}, cwd: dir.path });
      expect(table.exitCode).toBe(0);
      expect(table.stdout).toContain('dry run: nothing was contacted');
    },
  );

  it('needs no credentials for a dry run and names the missing variables otherwise', async () => {
    const outcome = await runCli(['testbed', 'chameleon', 'provision', '--topology', topologyFile, '--json'], {
      env: {},
      cwd: dir.path,
    });
    expect(outcome.exitCode).toBe(1);
    const error = JSON.parse(outcome.stdout).error;
    expect(error.code).toBe('PROTEUS_CLI_MISSING_CREDENTIALS');
    expect(error.message).toContain('PROTEUS_POOL_PASSWORD');
    const noDeploy = await runCli(
      ['testbed', 'chameleon', 'provision', '--no-deploy', '--topology', topologyFile, '--json'],
      {
        env: {},
        cwd: dir.path,
      },
    );
    expect(JSON.parse(noDeploy.stdout).error.details.missing).toEqual([
      'OS_AUTH_URL',
      'OS_APPLICATION_CREDENTIAL_ID',
      'OS_APPLICATION_CREDENTIAL_SECRET',
    ]);
  });

  it('rejects an invalid topology with PROTEUS_FABRIC_TOPOLOGY_INVALID listing the problems', async () => {
    await writeFile(
      topologyFile,
      JSON.stringify({ name: 'px', fabric: { site: 'STAR', nodes: [{ name: 'a', cores: 0 }, {}] } }),
    );
    const outcome = await runCli(['testbed', 'fabric', 'plan', '--topology', topologyFile, '--dry-run', '--json'], {
      env: {},
      cwd: dir.path,
    });
    expect(outcome.exitCode).toBe(1);
    const error = JSON.parse(outcome.stdout).error;
    expect(error.code).toBe('PROTEUS_FABRIC_TOPOLOGY_INVALID');
    expect(error.details.issues.length).toBeGreaterThanOrEqual(2);
  });

  describe('against the loopback FABRIC fake', () => {
    let fabric: FakeFabric;
    let env: Record<string, string>;
    beforeEach(async () => {
      fabric = await startFakeFabric({ refreshToken: SECRETS.FABRIC_REFRESH_TOKEN });
      const publicKey = join(dir.path, 'slice.pub');
      await writeFile(publicKey, 'ssh-ed25519 AAAAC3Nza cli@proteus\n');
      env = {
        FABRIC_REFRESH_TOKEN: SECRETS.FABRIC_REFRESH_TOKEN,
        FABRIC_TOKEN_LOCATION: join(dir.path, 'tokens.json'),
        FABRIC_BASTION_USERNAME: 'alice_0001',
        FABRIC_SLICE_PUBLIC_KEY_FILE: publicKey,
        FABRIC_CREDMGR_HOST: fabric.credmgrUrl,
        FABRIC_ORCHESTRATOR_HOST: fabric.orchestratorUrl,
        XDG_STATE_HOME: join(dir.path, 'state-home'),
      };
    });
    afterEach(async () => {
      await fabric.close();
    });

    it('provisions, reports status and releases, leaving no slice', async () => {
      const base = ['--topology', topologyFile, '--json', '--poll-ms', '1'];
      const provision = await runCli(['testbed', 'fabric', 'provision', '--no-deploy', ...base], {
        env,
        cwd: dir.path,
      });
      expect(provision.exitCode, provision.stderr).toBe(0);
      expect(JSON.parse(provision.stdout)).toMatchObject({ testbed: 'fabric', submitNode: { name: 'submit' } });
      expect(fabric.liveSlices()).toHaveLength(1);

      const status = await runCli(['testbed', 'fabric', 'status', ...base], { env, cwd: dir.path });
      expect(JSON.parse(status.stdout)).toMatchObject({ name: 'px-cli', state: 'StableOK' });
      const tracked = await runCli(['testbed', 'fabric', 'release', '--dry-run', ...base], { env, cwd: dir.path });
      expect(JSON.parse(tracked.stdout).resources.length).toBe(3);
      expect(fabric.liveSlices()).toHaveLength(1);

      const release = await runCli(['testbed', 'fabric', 'release', ...base], { env, cwd: dir.path });
      expect(release.exitCode, release.stderr).toBe(0);
      expect(fabric.liveSlices()).toHaveLength(0);
      for (const outcome of [provision, status, release]) {
        for (const secret of [...Object.values(SECRETS), ...fabric.issuedTokens])
          expect(outcome.stdout + outcome.stderr).not.toContain(secret);
      }
    });

    it('releases the slice when SIGINT arrives during provision', async () => {
      fabric.options.configuringPolls = 100_000;
      const running = runCli(
        ['testbed', 'fabric', 'provision', '--no-deploy', '--topology', topologyFile, '--json', '--poll-ms', '5'],
        {
          env,
          cwd: dir.path,
        },
      );
      while (fabric.slices.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      process.emit('SIGINT', 'SIGINT');
      const outcome = await running;
      expect(outcome.exitCode).toBe(1);
      expect(JSON.parse(outcome.stdout).error.code).toBe('PROTEUS_CORE_ABORTED');
      expect(outcome.stderr).toContain('SIGINT received');
      expect(fabric.liveSlices()).toHaveLength(0);
    });
    it('finds the state from any working directory (per-user state folder), so release works elsewhere', async () => {
      const base = ['--topology', topologyFile, '--json', '--poll-ms', '1'];
      const provision = await runCli(['testbed', 'fabric', 'provision', '--no-deploy', ...base], {
        env,
        cwd: dir.path,
      });
      expect(provision.exitCode, provision.stderr).toBe(0);
      const elsewhere = await createTempDir('proteus-cli-elsewhere-');
      try {
        const release = await runCli(['testbed', 'fabric', 'release', ...base], { env, cwd: elsewhere.path });
        expect(release.exitCode, release.stderr).toBe(0);
        expect(fabric.liveSlices()).toHaveLength(0);
      } finally {
        await elsewhere.dispose();
      }
    });

    it('masks a token it never issued when an API error body echoes it (stderr and --json)', async () => {
      const base = ['--topology', topologyFile, '--poll-ms', '1'];
      const provision = await runCli(['testbed', 'fabric', 'provision', '--no-deploy', '--json', ...base], {
        env,
        cwd: dir.path,
      });
      expect(provision.exitCode, provision.stderr).toBe(0);
      const claims = Buffer.from(JSON.stringify({ exp: 4102444800, sub: 'someone-else' })).toString('base64url');
      const foreign = `eyJhbGciOiJSUzI1NiJ9.${claims}.Zm9yZWlnbi1zaWduYXR1cmU`;
      fabric.inject({
        method: 'GET',
        path: /^\/orchestrator\/slices\//,
        status: 400,
        body: { errors: [{ message: `proxy: upstream rejected Authorization: Bearer ${foreign}`, id_token: foreign }] },
        times: 10,
      });
      for (const json of [[], ['--json']]) {
        const status = await runCli(['testbed', 'fabric', 'status', ...json, ...base], { env, cwd: dir.path });
        expect(status.exitCode).toBe(1);
        expect(status.stdout + status.stderr).not.toContain(foreign);
        expect(status.stdout + status.stderr).toContain('[REDACTED]');
      }
    });

    it.each(['0', '-1', 'NaN', '1e12', '2.5'])(
      'rejects --poll-ms %s with PROTEUS_CLI_INVALID_OPTION',
      async (value) => {
        for (const action of [['plan'], ['status'], ['provision', '--no-deploy']]) {
          const outcome = await runCli(
            ['testbed', 'fabric', ...action, '--topology', topologyFile, '--json', '--poll-ms', value],
            { env, cwd: dir.path },
          );
          expect(outcome.exitCode).toBe(1);
          expect(JSON.parse(outcome.stdout).error.code).toBe('PROTEUS_CLI_INVALID_OPTION');
        }
        expect(fabric.requests).toEqual([]);
      },
    );
  });
});
