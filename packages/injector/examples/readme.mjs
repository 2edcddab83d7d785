import { detectCapabilities, parseAnomaly } from '@proteus-wf/injector';

console.log(parseAnomaly('cpu_2')); // { kind: 'cpu', removeCores: 2, label: 'cpu_2' }
console.log(parseAnomaly('hdd_5')); // { kind: 'disk', writeBps: 5 MiB/s, readBps: 10 MiB/s, label: 'hdd_5' }
const { backends } = await detectCapabilities('local'); // what this host can inject, and how to enable the rest
for (const [name, backend] of Object.entries(backends)) {
  console.log(name, backend.available ? 'available' : `${backend.reason} (${backend.fix})`);
}
