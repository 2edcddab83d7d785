import { describe, expect, it } from 'vitest';
import { parseChameleonTopology } from './topology.js';

const chameleon = { site: 'CHI@UC', nodeType: 'compute_cascadelake_r', count: 2, image: 'CC-Ubuntu22.04', hours: 6 };

describe('parseChameleonTopology', () => {
  it('accepts the documented shape with a Poseidon-X stitch and fills the defaults', () => {
    const topology = parseChameleonTopology({
      name: 'px',
      chameleon: { ...chameleon, stitch: { subnets: [{ name: 'normal', cidr: '192.168.100.0/24' }] } },
    });
    expect(topology.chameleon).toMatchObject({ cores: 48, ram: 192, floatingIps: 'allocate', network: 'sharednet1' });
    expect(topology.chameleon.stitch).toEqual({
      physicalNetwork: 'physnet1',
      subnets: [{ name: 'normal', cidr: '192.168.100.0/24', routes: [] }],
    });
  });

  it.each([
    ['a typo in a key (huors)', { name: 'px', chameleon: { ...chameleon, huors: 6 } }],
    ['a typo in a key (coers)', { name: 'px', chameleon: { ...chameleon, coers: 8 } }],
    ['a root typo (chamelon)', { name: 'px', chameleon, chamelon: {} }],
    ['cores: 1e6', { name: 'px', chameleon: { ...chameleon, cores: 1e6 } }],
    ['hours: 0.001', { name: 'px', chameleon: { ...chameleon, hours: 0.001 } }],
    [
      'a subnet that is not a CIDR',
      { name: 'px', chameleon: { ...chameleon, stitch: { subnets: [{ name: 's', cidr: '10.0.0.1' }] } } },
    ],
    ['an unknown stitch key', { name: 'px', chameleon: { ...chameleon, stitch: { subnets: [], vlan: 3 } } }],
  ])('throws PROTEUS_CHAMELEON_TOPOLOGY_INVALID for %s', (_what, value) => {
    expect(() => parseChameleonTopology(value)).toThrow(
      expect.objectContaining({ code: 'PROTEUS_CHAMELEON_TOPOLOGY_INVALID' }),
    );
  });
});
