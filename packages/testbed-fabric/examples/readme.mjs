import { parseFabricTopology, planFabricTestbed } from '@proteus-wf/testbed-fabric';

const topology = parseFabricTopology({
  name: 'proteus-demo',
  fabric: {
    site: 'STAR',
    nodes: [
      { name: 'submit', cores: 16, ram: 32, disk: 100, image: 'default_ubuntu_22' },
      { name: 'worker', cores: 16, ram: 32, disk: 100, image: 'default_ubuntu_22' },
    ],
  },
}); // or await loadFabricTopology('topology.json')
const plan = planFabricTestbed(topology); // a dry run: offline, no credentials
console.log(plan.apiCalls.map((call) => `${call.method} ${call.url}`));
console.log(`${plan.deployment.length} deployment steps`);
