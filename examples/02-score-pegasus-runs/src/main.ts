/*
 * Score your own Pegasus runs: load submit directories (or a Flow-Bench zip) as a dataset, train a detector that needs
 * no labels, score every job, then watch a live run job by job. The runs here come from the local testbed, which
 * writes each run as a Pegasus submit directory: point --runs at real ones (a folder of them) the same way.
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type FlowBenchDataset, loadFlowBench } from '@proteus-wf/features';
import { createOnlineDetector, loadModel, scoreJobs, trainSsl } from '@proteus-wf/models';
import { followSubmitDir, loadSubmitDirs } from '@proteus-wf/pegasus';
import { createLocalTestbed } from '@proteus-wf/testbed-local';

export async function main(argv: string[], print = console.log): Promise<{ alerts: number; jobs: number }> {
  const { values } = parseArgs({
    args: argv,
    options: {
      workflow: { type: 'string', default: 'examples/workflows/1000genome-like/workflow.yml' },
      runs: { type: 'string' }, // a folder of Pegasus submit directories (default: make them with the local testbed)
      flowbench: { type: 'string' }, // or a Flow-Bench zip
      count: { type: 'string', default: '5' },
      epochs: { type: 'string', default: '5' },
      out: { type: 'string', default: 'out/score-pegasus-runs' },
    },
  });
  const out = resolve(values.out);
  await using testbed = createLocalTestbed({ workers: 2, isolation: 'process-group', workDir: join(out, 'testbed') });
  const runLocally = (runId: string) => testbed.runWorkflow(values.workflow, { runId, workDir: join(out, runId) });

  // 1. Load: submit directories (each run's <workDir>/submit here) or a Flow-Bench zip, as one dataset.
  let dataset: FlowBenchDataset;
  if (values.flowbench) dataset = await loadFlowBench(values.flowbench);
  else if (values.runs) dataset = await loadSubmitDirs(values.runs);
  else {
    const ids = Array.from({ length: Number(values.count) }, (_, i) => `train${String(i + 1).padStart(3, '0')}`);
    for (const id of ids) await runLocally(id);
    dataset = await loadSubmitDirs(ids.map((id) => join(out, id, 'submit')));
  }
  print(`loaded ${dataset.runs.length} runs of ${dataset.workflow} (${dataset.jobsPerRun} jobs each)`);

  // 2. Train: the self-supervised detector learns what normal runs look like; no labels needed.
  const { model: trained } = await trainSsl(dataset, { epochs: Number(values.epochs), seed: 0 });
  await using model = await loadModel(trained);

  // 3. Score: every job of every run, higher = more anomalous.
  const scores = await scoreJobs(model, dataset);
  const top = [...scores.scores.keys()].sort((a, b) => (scores.scores[b] ?? 0) - (scores.scores[a] ?? 0))[0] ?? 0;
  const jobs = scores.jobNames.length;
  print(
    `most anomalous job: ${scores.runIds[Math.floor(top / jobs)]} ${scores.jobNames[top % jobs]} (score ${scores.scores[top]?.toFixed(4)}, threshold ${scores.threshold?.toFixed(4)})`,
  );

  // 4. Watch a live run: each job is scored as its kickstart record appears, the run is flagged once.
  if (values.flowbench) return { alerts: 0, jobs: 0 }; // a Flow-Bench model knows Flow-Bench's DAG, not the local one
  const live = runLocally('live001');
  const detector = createOnlineDetector({ model });
  let seen = 0;
  for await (const event of followSubmitDir(join(out, 'live001', 'submit'))) {
    if (event.kind === 'finished') break;
    const o = await detector.observe(event.record);
    seen++;
    print(`  ${o.job}: score ${o.score?.toFixed(4)}, run ${o.runScore.toFixed(4)}${o.alert ? '  <- ALERT' : ''}`);
  }
  await live;
  const summary = detector.summary();
  print(
    `live run: ${summary.finishedJobs}/${summary.totalJobs} jobs, ${summary.runAnomalous ? 'anomalous' : 'normal'}`,
  );
  return { alerts: summary.alerts, jobs: seen };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv.slice(2));
