import { parseChameleonTopology, planChameleonTestbed } from '@proteus-wf/testbed-chameleon';

const topology = parseChameleonTopology({
  name: 'proteus-demo',
  chameleon: { site: 'CHI@UC', nodeType: 'compute_cascadelake_r', count: 2, image: 'CC-Ubuntu22.04', hours: 6 },
}); // or await loadChameleonTopology('topology.json')
const plan = planChameleonTestbed(topology); // a dry run: offline, no credentials
console.log(plan.lease.resourceProperties); // ["==","$node_type","compute_cascadelake_r"]
