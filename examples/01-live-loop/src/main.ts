/*
 * The live active-learning loop, wired by hand: a lab on the local testbed runs real workflow executions with
 * injected anomalies; Algorithm 1 asks it for the experiments it expects to learn most from, and is scored after
 * every iteration on a held-out test set of live runs. `proteus al run` is the same loop with reports and resume.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type ActiveLearningResult, runActiveLearning } from '@proteus-wf/active-learner';
import { createLiveLab } from '@proteus-wf/lab';

export async function main(argv: string[], print = console.log): Promise<ActiveLearningResult> {
  const { values } = parseArgs({
    args: argv,
    options: {
      workflow: { type: 'string', default: 'examples/workflows/1000genome-like/workflow.yml' },
      out: { type: 'string', default: 'out/live-loop' },
      iterations: { type: 'string', default: '3' },
      'per-iteration': { type: 'string', default: '2' },
      'test-runs': { type: 'string', default: '4' },
    },
  });
  await using lab = await createLiveLab({
    workflow: values.workflow,
    outDir: values.out,
    anomalies: ['cpu_1', 'hdd_1'],
    onProgress: (event) => event.phase === 'experiment' && print(`  run ${event.message}`),
  });
  const testSet = await lab.collectTestSet(Number(values['test-runs']));
  print(`held-out test set: ${testSet.labels.join(', ')}`);
  await lab.calibrate(2); // fits the feature scaler on runs that are neither trained nor tested on
  const result = await runActiveLearning({
    backend: lab.createBackend('gradient'),
    evaluation: await lab.evaluationSet(),
    iterations: Number(values.iterations),
    perIteration: Number(values['per-iteration']),
    onProgress: (event) => print(event.message),
  });
  for (const { iteration, ran, metrics } of result.iterations) {
    print(`iteration ${iteration}: learned from ${ran.join(', ')} -> test ROC-AUC ${metrics?.rocAuc.toFixed(3)}`);
  }
  print(`traces: ${lab.outDir}/traces/${lab.workflow}`);
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv.slice(2));
