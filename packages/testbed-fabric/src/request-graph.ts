import { createRng, type Rng } from '@proteus-wf/core';
import type { FabricTopology } from './topology.js';

/*
 * FIM request graph (testbeds.md §2.3): GraphML whose nodes carry the data keys GraphID, NodeID, Class, Name, Type,
 * Site, Capacities (JSON), ImageRef, Model, Labels (JSON), Layer, and whose edges are `has`
 * (node -> component -> internal service -> connection point) or `connects` (connection point <-> network service).
 * NOTE: written from FIM's constants and reader fixtures, not from a byte-level capture of fim's writer (§7).
 */

const KEYS = [
  'GraphID',
  'NodeID',
  'Class',
  'Name',
  'Type',
  'Site',
  'Capacities',
  'ImageRef',
  'Model',
  'Labels',
  'Layer',
];

interface GraphNode {
  id: string;
  data: Record<string, string>;
}

interface GraphEdge {
  source: string;
  target: string;
  relation: 'has' | 'connects';
}

/** Options of {@link buildFabricRequestGraph}. */
export interface RequestGraphOptions {
  /** Seed for the node ids (uuid-shaped, from createRng) so a plan is reproducible (default 0). */
  seed?: number;
}

/**
 * Serialises the `fabric` section of a topology into the GraphML `graph_model` that `POST slices/creates` takes.
 * @example const graphml = buildFabricRequestGraph(topology, { seed: 1 })
 */
export function buildFabricRequestGraph(topology: FabricTopology, options: RequestGraphOptions = {}): string {
  const rng = createRng(options.seed ?? 0);
  const graphId = uuid(rng);
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const interfaceIds = new Map<string, string>();
  const addNode = (data: Record<string, string>): string => {
    const id = uuid(rng);
    nodes.push({ id, data: { GraphID: graphId, NodeID: id, ...data } });
    return id;
  };
  const { fabric } = topology;

  for (const node of fabric.nodes) {
    const site = node.site ?? fabric.site;
    const vm = addNode({
      Class: 'NetworkNode',
      Name: node.name,
      Type: 'VM',
      Site: site,
      Capacities: JSON.stringify({ core: node.cores, ram: node.ram, disk: node.disk }),
      ImageRef: `${node.image},qcow2`,
      ...(node.host ? { Labels: JSON.stringify({ instance_parent: node.host }) } : {}),
    });
    for (const nic of node.nics) {
      const shared = nic.model === 'NIC_Basic';
      const component = addNode({
        Class: 'Component',
        Name: `${node.name}-${nic.name}`,
        Type: shared ? 'SharedNIC' : 'SmartNIC',
        Model: shared ? 'ConnectX-6' : nic.model === 'NIC_ConnectX_5' ? 'ConnectX-5' : 'ConnectX-6',
      });
      edges.push({ source: vm, target: component, relation: 'has' });
      const internal = addNode({
        Class: 'NetworkService',
        Name: `${node.name}-${nic.name}-l2ovs`,
        Type: 'OVS',
        Layer: 'L2',
      });
      edges.push({ source: component, target: internal, relation: 'has' });
      for (let p = 1; p <= (shared ? 1 : 2); p++) {
        const name = `${node.name}-${nic.name}-p${p}`;
        const port = addNode({
          Class: 'ConnectionPoint',
          Name: name,
          Type: shared ? 'SharedPort' : 'DedicatedPort',
          Labels: JSON.stringify({ local_name: `p${p}` }),
        });
        edges.push({ source: internal, target: port, relation: 'has' });
        interfaceIds.set(name, port);
      }
    }
  }

  for (const facility of fabric.facilityPorts) {
    const node = addNode({ Class: 'NetworkNode', Name: facility.name, Type: 'Facility', Site: facility.site });
    const service = addNode({ Class: 'NetworkService', Name: `${facility.name}-ns`, Type: 'VLAN', Layer: 'L2' });
    edges.push({ source: node, target: service, relation: 'has' });
    const port = addNode({
      Class: 'ConnectionPoint',
      Name: facility.name,
      Type: 'FacilityPort',
      Labels: JSON.stringify({ vlan: String(facility.vlan) }),
    });
    edges.push({ source: service, target: port, relation: 'has' });
    interfaceIds.set(facility.name, port);
  }

  const siteOf = new Map<string, string>();
  for (const node of fabric.nodes) {
    for (const nic of node.nics)
      for (let p = 1; p <= 2; p++) siteOf.set(`${node.name}-${nic.name}-p${p}`, node.site ?? fabric.site);
  }
  for (const facility of fabric.facilityPorts) siteOf.set(facility.name, facility.site);
  for (const network of fabric.networks) {
    const type =
      network.type ?? chooseL2Type(network.interfaces, siteOf, new Set(fabric.facilityPorts.map((f) => f.name)));
    const service = addNode({
      Class: 'NetworkService',
      Name: network.name,
      Type: type,
      Layer: type.startsWith('L2') ? 'L2' : 'L3',
    });
    for (const name of network.interfaces) {
      const servicePort = addNode({ Class: 'ConnectionPoint', Name: `${network.name}-${name}`, Type: 'ServicePort' });
      edges.push({ source: service, target: servicePort, relation: 'has' });
      const target = interfaceIds.get(name);
      if (target) edges.push({ source: target, target: servicePort, relation: 'connects' });
    }
  }
  return toGraphml(graphId, nodes, edges);
}

/** FABlib's rule (network_service.py:160-197): one site -> L2Bridge; two sites with a facility port -> L2PTP; else L2STS. */
function chooseL2Type(interfaces: string[], siteOf: Map<string, string>, facilities: Set<string>): string {
  const sites = new Set(interfaces.map((name) => siteOf.get(name)));
  if (sites.size <= 1) return 'L2Bridge';
  const basic = interfaces.some(
    (name) => !facilities.has(name) && /-p1$/.test(name) && !interfaces.includes(name.replace(/-p1$/, '-p2')),
  );
  return sites.size === 2 && interfaces.some((name) => facilities.has(name)) && !basic ? 'L2PTP' : 'L2STS';
}

function toGraphml(graphId: string, nodes: GraphNode[], edges: GraphEdge[]): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ' +
      'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">',
    ...KEYS.map((key) => `  <key id="${key}" for="node" attr.name="${key}" attr.type="string"/>`),
    '  <key id="Class_e" for="edge" attr.name="Class" attr.type="string"/>',
    `  <graph id="${graphId}" edgedefault="directed">`,
  ];
  for (const node of nodes) {
    lines.push(`    <node id="${node.id}">`);
    for (const key of KEYS) {
      const value = node.data[key];
      if (value !== undefined) lines.push(`      <data key="${key}">${escapeXml(value)}</data>`);
    }
    lines.push('    </node>');
  }
  edges.forEach((edge, i) => {
    lines.push(`    <edge id="e${i}" source="${edge.source}" target="${edge.target}">`);
    lines.push(`      <data key="Class_e">${edge.relation}</data>`);
    lines.push('    </edge>');
  });
  lines.push('  </graph>', '</graphml>', '');
  return lines.join('\n');
}

function escapeXml(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

function uuid(rng: Rng): string {
  const hex = Array.from({ length: 32 }, () => rng.int(0, 15).toString(16));
  hex[12] = '4';
  hex[16] = ((rng.int(0, 3) & 0x3) | 0x8).toString(16);
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}
