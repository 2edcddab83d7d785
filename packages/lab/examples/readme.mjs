import { writeFile } from 'node:fs/promises';
import { createLiveLab } from '@proteus-wf/lab';

await writeFile(
  'lab-workflow.yml',
  `pegasus: "5.0"
name: "two-steps"
jobs:
  - { type: "job", name: "individuals", id: "individuals_ID01", arguments: [] }
  - { type: "job", name: "merge", id: "merge_ID02", arguments: [] }
jobDependencies:
  - { id: "individuals_ID01", children: ["merge_ID02"] }
`,
);
// Reads the workflow and checks the options; nothing runs until collectTestSet, calibrate or a backend asks.
const lab = await createLiveLab({
  workflow: 'lab-workflow.yml',
  outDir: 'out/lab',
  anomalies: ['cpu_1', 'hdd_1'],
  placeOn: ['individuals'], // also offer cpu_1@individuals: the anomaly only while `individuals` jobs run
});
console.log(lab.kinds); // [ 'normal', 'cpu_1', 'hdd_1', 'cpu_1@individuals', 'hdd_1@individuals' ]
await lab.release(); // or `await using lab = ...` where the runtime has it
