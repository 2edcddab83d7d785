import { describe, expect, it } from 'vitest';
import { buildFabricRequestGraph } from './request-graph.js';
import { parseFabricTopology } from './topology.js';

/** Reads the GraphML back: nodes with their data, and edges. */
function readGraph(xml: string) {
  const nodes = new Map<string, Record<string, string>>();
  for (const m of xml.matchAll(/<node id="([^"]+)">([\s\S]*?)<\/node>/g)) {
    const data: Record<string, string> = {};
    for (const d of (m[2] as string).matchAll(/<data key="([^"]+)">([^<]*)<\/data>/g))
      data[d[1] as string] = (d[2] as string).replaceAll('&quot;', '"');
    nodes.set(m[1] as string, data);
  }
  const edges = [
    ...xml.matchAll(/<edge id="[^"]+" source="([^"]+)" target="([^"]+)">\s*<data key="Class_e">(\w+)<\/data>/g),
  ].map((m) => ({
    source: m[1] as string,
    target: m[2] as string,
    relation: m[3] as string,
  }));
  return { nodes, edges };
}

// Poseidon-X's FABRIC side (testbeds.md §1.1): a router with a ConnectX-5 stitched to Chameleon, and a STAR L2 network.
const topology = parseFabricTopology({
  name: 'poseidon-experiment',
  fabric: {
    site: 'STAR',
    nodes: [
      { name: 'submit', cores: 16, ram: 32, disk: 100, nics: [{ name: 'nic1', model: 'NIC_Basic' }] },
      { name: 'data', cores: 16, ram: 32, disk: 500, nics: [{ name: 'nic1', model: 'NIC_Basic' }] },
      {
        name: 'router',
        role: 'router',
        nics: [
          { name: 'cx5', model: 'NIC_ConnectX_5' },
          { name: 'nic1', model: 'NIC_Basic' },
        ],
      },
    ],
    facilityPorts: [{ name: 'Chameleon-StarLight', site: 'STAR', vlan: 3308 }],
    networks: [
      { name: 'chi-stitch', interfaces: ['router-cx5-p1', 'router-cx5-p2', 'Chameleon-StarLight'] },
      { name: 'lan', interfaces: ['submit-nic1-p1', 'data-nic1-p1', 'router-nic1-p1'] },
      { name: 'v4', type: 'FABNetv4', interfaces: ['submit-nic1-p1'] },
    ],
  },
});

describe('buildFabricRequestGraph', () => {
  it('writes VMs, components, ports, facility ports and network services joined by has/connects edges', () => {
    const xml = buildFabricRequestGraph(topology, { seed: 1 });
    const { nodes, edges } = readGraph(xml);
    const byName = (name: string) => [...nodes.entries()].find(([, d]) => d.Name === name);
    const submit = byName('submit')?.[1];
    expect(submit).toMatchObject({
      Class: 'NetworkNode',
      Type: 'VM',
      Site: 'STAR',
      ImageRef: 'default_ubuntu_22,qcow2',
    });
    expect(JSON.parse(submit?.Capacities ?? '{}')).toEqual({ core: 16, ram: 32, disk: 100 });
    expect(byName('router-cx5')?.[1]).toMatchObject({ Class: 'Component', Type: 'SmartNIC', Model: 'ConnectX-5' });
    expect(byName('router-cx5-p2')?.[1]).toMatchObject({ Class: 'ConnectionPoint', Type: 'DedicatedPort' });
    expect(byName('Chameleon-StarLight')?.[1]).toMatchObject({ Class: 'NetworkNode', Type: 'Facility' });
    expect(byName('lan')?.[1]).toMatchObject({ Class: 'NetworkService', Type: 'L2Bridge', Layer: 'L2' });
    expect(byName('v4')?.[1]).toMatchObject({ Type: 'FABNetv4', Layer: 'L3' });
    for (const edge of edges) {
      expect(nodes.has(edge.source)).toBe(true);
      expect(nodes.has(edge.target)).toBe(true);
    }
    // every interface of a network is connected to one of its service ports
    expect(edges.filter((e) => e.relation === 'connects')).toHaveLength(7);
    // every node shares one GraphID and its NodeID is its id
    expect(new Set([...nodes.values()].map((d) => d.GraphID)).size).toBe(1);
    expect([...nodes.entries()].every(([id, d]) => d.NodeID === id)).toBe(true);
  });

  it('is reproducible for a seed and different across seeds', () => {
    expect(buildFabricRequestGraph(topology, { seed: 5 })).toBe(buildFabricRequestGraph(topology, { seed: 5 }));
    expect(buildFabricRequestGraph(topology, { seed: 5 })).not.toBe(buildFabricRequestGraph(topology, { seed: 6 }));
  });
});
