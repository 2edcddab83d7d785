import { parseCampaignConfig, planCampaign } from '@proteus-wf/controller';

const config = parseCampaignConfig({
  seed: 7,
  infrastructure: {
    workers: [
      { name: 'w1', cores: 2, memory_mb: 1024 },
      { name: 'w2', cores: 2, memory_mb: 1024 },
    ],
  },
  experiments: [
    { workflow: 'genome', type: 'normal', number_of_runs: 2, number_of_anomaly_workers: [] },
    { workflow: 'genome', anomaly: 'cpu', levels: [1, 2], number_of_runs: 2, number_of_anomaly_workers: [1] },
  ],
  workflows: { genome: { path: 'workflows/1000genome-like/workflow.yml' } },
}); // or await loadCampaignConfig('campaign.json')
const plan = planCampaign(config, { seed: 7 }); // what runCampaign will run, in order; plan.id fingerprints it
console.log(plan.runs.map((run) => `${run.id}: ${run.anomaly} on [${run.anomalousWorkers}]`)); // genome-run0001: normal on [], ...
