import { runCli } from '@proteus-wf/cli';

const { exitCode, stdout } = await runCli(['dataset', 'inspect', 'datasets/flowbench/1000genome.zip', '--json']);
console.log(exitCode, JSON.parse(stdout).runLabels); // 0 { normal: 51, cpu_2: 100, cpu_3: 25, hdd_5: 100, hdd_10: 75 }
