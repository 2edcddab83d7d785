import { createLocalTestbed } from '@proteus-wf/testbed-local';

const testbed = createLocalTestbed({ workers: 2, slotsPerWorker: 1, workDir: 'out/tb' });
try {
  const deployment = await testbed.provision(); // a cgroup per worker when this process may create them
  console.log(deployment.workers.map((worker) => [worker.name, worker.targets])); // injector targets per worker
} finally {
  await testbed.release(); // kills leftover jobs, removes cgroups and namespaces
}
