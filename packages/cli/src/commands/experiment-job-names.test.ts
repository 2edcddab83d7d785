import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createRng } from '@proteus-wf/core';
import { createTempDir, repoRoot } from '@proteus-wf/test-utils';
import { describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.js';

// The seeded, smaller version of scripts/fuzz-job-names.mjs (issue 13, item 2).
let hasYaml = true;
try {
  createRequire(join(repoRoot, 'packages', 'workflow-graph', 'package.json')).resolve('yaml');
} catch {
  hasYaml = false;
}

const HOSTILE = ['..', '/', '\\', '../', '\u0000', '\n', '\u0007', '../../../../../../'];
const ODD = ['a', 'job', '~', '$HOME', '*', ' ', '-rf', 'é', ':', ';', 'ID0001', '.hidden'];

function randomJobId(rng: ReturnType<typeof createRng>, hostile: boolean): string {
  const pick = (list: string[]) => list[rng.int(0, list.length - 1)] as string;
  const parts = Array.from({ length: rng.int(1, 5) }, () => pick(ODD));
  if (hostile) parts.splice(rng.int(0, parts.length), 0, pick(HOSTILE));
  if (hostile && rng.float() < 0.5) parts.unshift('../'.repeat(rng.int(1, 6)));
  return parts.join('');
}

function snapshot(root: string, skip: string[]): Map<string, string> {
  const entries = new Map<string, string>();
  const walk = (folder: string): void => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (skip.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))) continue;
      const info = statSync(path);
      entries.set(path, `${info.isDirectory() ? 'd' : 'f'}:${info.size}:${info.mtimeMs}`);
      if (info.isDirectory()) walk(path);
    }
  };
  walk(root);
  return entries;
}

describe.skipIf(!hasYaml)('proteus experiment run with hostile job names (canary fuzz, seeded)', () => {
  it('creates, changes and removes nothing outside --out for 40 random job ids', async () => {
    const temp = await createTempDir('proteus-canary-');
    try {
      const rng = createRng(13);
      const deep = join(temp.path, 'a', 'b', 'c', 'd', 'e', 'f', 'g');
      mkdirSync(deep, { recursive: true });
      let folder = temp.path;
      for (const level of ['', 'a', 'b', 'c', 'd', 'e', 'f', 'g']) {
        folder = level ? join(folder, level) : folder;
        writeFileSync(join(folder, 'canary.txt'), `canary ${level}\n`);
        mkdirSync(join(folder, 'x'));
        writeFileSync(join(folder, 'x', 'canary.txt'), 'inner\n');
      }
      const bin = join(temp.path, 'job.sh');
      writeFileSync(bin, '#!/bin/sh\necho "$PROTEUS_JOB" > out.txt\n');
      chmodSync(bin, 0o755);
      const outs = join(deep, 'outs');
      const workflows = join(temp.path, 'workflows');
      mkdirSync(outs);
      mkdirSync(workflows);
      const before = snapshot(temp.path, [outs, workflows]);
      const codes: string[] = [];
      for (let w = 0; w < 4; w++) {
        const hostile = w % 2 === 0;
        const names = new Set<string>();
        while (names.size < 10) names.add(randomJobId(rng, hostile));
        const yaml = join(workflows, `wf${w}.yml`);
        writeFileSync(
          yaml,
          [
            'pegasus: "5.0"',
            `name: "fuzz${w}"`,
            'transformationCatalog:',
            '  transformations:',
            `    - { name: "job", sites: [{ name: "local", pfn: ${JSON.stringify(bin)} }] }`,
            'jobs:',
            ...[...names].map((name) => `  - { type: "job", name: "job", id: ${JSON.stringify(name)}, arguments: [] }`),
            '',
          ].join('\n'),
        );
        const config = join(workflows, `campaign${w}.json`);
        writeFileSync(
          config,
          JSON.stringify({
            infrastructure: { workers: [{ name: 'w1', cores: 2, memory_mb: 512 }] },
            experiments: [{ workflow: 'fuzz', type: 'normal', number_of_runs: 1, number_of_anomaly_workers: [] }],
            workflows: { fuzz: { path: yaml } },
          }),
        );
        const outcome = await runCli(['experiment', 'run', '--config', config, '--out', join(outs, `w${w}`), '--json']);
        expect(outcome.exitCode, outcome.stderr).not.toBe(2);
        const code = outcome.exitCode === 0 ? 'OK' : JSON.parse(outcome.stdout).error.code;
        codes.push(code);
        if (code === 'OK') expect(JSON.parse(outcome.stdout)).toMatchObject({ done: 1, failed: 0 });
      }
      expect(codes).toEqual(['PROTEUS_GRAPH_INVALID_JOB_NAME', 'OK', 'PROTEUS_GRAPH_INVALID_JOB_NAME', 'OK']);
      const after = snapshot(temp.path, [outs, workflows]);
      expect([...after.keys()].filter((path) => !before.has(path))).toEqual([]);
      expect([...before].filter(([path, stamp]) => after.get(path) !== stamp)).toEqual([]);
    } finally {
      await temp.dispose();
    }
  }, 180_000);
});
