import { isProteusError } from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import { assignFabricRoles, defaultUserOf, parseFabricTopology } from './topology.js';

describe('parseFabricTopology', () => {
  it('accepts the documented minimum and fills FABlib defaults', () => {
    const topology = parseFabricTopology({
      name: 'px',
      fabric: {
        site: 'STAR',
        nodes: [{ name: 'submit', cores: 16, ram: 32, disk: 100, image: 'default_ubuntu_20' }, { name: 'w' }],
      },
      chameleon: { site: 'CHI@UC' },
    });
    expect(topology.fabric.nodes[1]).toMatchObject({
      cores: 2,
      ram: 8,
      disk: 10,
      image: 'default_ubuntu_22',
      nics: [],
    });
    expect(topology.fabric.hours).toBe(24);
    expect(defaultUserOf(topology.fabric.nodes[0]!)).toBe('ubuntu');
    const roles = assignFabricRoles(topology);
    expect(roles.submit.name).toBe('submit');
    expect(roles.workers.map((w) => w.name)).toEqual(['w']);
  });

  it('throws PROTEUS_FABRIC_TOPOLOGY_INVALID listing every problem at once', () => {
    let caught: unknown;
    try {
      parseFabricTopology({
        name: '9bad name',
        fabric: {
          site: 'STAR',
          nodes: [
            { name: 'a', cores: -1, nics: [{ name: 'n1', model: 'NIC_Basic' }] },
            { name: 'a', ram: 'lots' },
          ],
          networks: [{ name: 'net', interfaces: ['a-n1-p1', 'a-n1-p2'] }],
        },
      });
    } catch (error) {
      caught = error;
    }
    expect(isProteusError(caught, 'PROTEUS_FABRIC_TOPOLOGY_INVALID')).toBe(true);
    const issues = (caught as { details: { issues: Array<{ path: string }> } }).details.issues.map((i) => i.path);
    expect(issues).toEqual(expect.arrayContaining(['name', 'fabric.nodes.0.cores', 'fabric.nodes.1.ram']));
    expect(issues.length).toBeGreaterThanOrEqual(3);
  });

  it('reports unknown network interfaces and duplicate node names', () => {
    expect(() =>
      parseFabricTopology({
        name: 'px',
        fabric: {
          site: 'STAR',
          nodes: [{ name: 'a', nics: [{ name: 'n1', model: 'NIC_Basic' }] }, { name: 'a' }],
          networks: [{ name: 'net', interfaces: ['a-n1-p1', 'a-n1-p2'] }],
        },
      }),
    ).toThrow(/duplicate node "a".*unknown interface "a-n1-p2"|unknown interface "a-n1-p2".*duplicate node "a"/);
  });

  it.each([
    ['a typo in a node key (coers)', { name: 'px', fabric: { site: 'STAR', nodes: [{ name: 'a', coers: 4 }] } }],
    [
      'a typo in the slice lifetime (huors)',
      { name: 'px', fabric: { site: 'STAR', nodes: [{ name: 'a' }], huors: 2 } },
    ],
    ['a root typo (fabirc)', { name: 'px', fabric: { site: 'STAR', nodes: [{ name: 'a' }] }, fabirc: {} }],
    ['cores: 1e6', { name: 'px', fabric: { site: 'STAR', nodes: [{ name: 'a', cores: 1e6 }] } }],
    ['hours: 0.001', { name: 'px', fabric: { site: 'STAR', nodes: [{ name: 'a' }], hours: 0.001 } }],
    ['ram: 1e9', { name: 'px', fabric: { site: 'STAR', nodes: [{ name: 'a', ram: 1e9 }] } }],
  ])('throws PROTEUS_FABRIC_TOPOLOGY_INVALID for %s', (_what, value) => {
    expect(() => parseFabricTopology(value)).toThrow(
      expect.objectContaining({ code: 'PROTEUS_FABRIC_TOPOLOGY_INVALID' }),
    );
  });
});
