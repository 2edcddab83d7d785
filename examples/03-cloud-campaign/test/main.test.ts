import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

describe('examples/03-cloud-campaign', () => {
  it('prints both plans with --dry-run, needing no credentials and contacting nothing', async () => {
    const lines: string[] = [];
    await main(['--topology', join(import.meta.dirname, '../topology.json'), '--dry-run'], {}, (line) =>
      lines.push(line),
    );
    const plan = JSON.parse(lines.join('\n'));
    expect(plan.fabric.nodes.map((n: { role: string }) => n.role)).toEqual(['submit', 'data', 'router']);
    // Poseidon-X's stitch: the lease reserves a FABRIC-stitchable network next to the hosts.
    expect(JSON.stringify(plan.chameleon.apiCalls)).toContain('stitch_provider fabric');
    expect(plan.chameleon.servers.every((s: { role: string }) => s.role === 'worker')).toBe(true);
    expect(plan.chameleon.deployment.some((s: { command: string }) => s.command.includes('--execute'))).toBe(true);
  });
});
