import { resolve } from 'node:path';
import {
  type DatasetSummary,
  extractFeatures,
  FEATURE_PIPELINES,
  type FeaturePipelineName,
  type Generation,
  summarizeDataset,
  writeDatasetArrow,
} from '@proteus-wf/features';
import type { Argv } from 'yargs';
import { type CliIo, formatTable, printResult } from '../cli-io.js';
import { loadDatasetInput } from '../load-dataset-input.js';
import { createProgressReporter } from '../progress-reporter.js';

interface LoadArgs {
  path: string;
  adjacency?: string;
  generation?: Generation;
  strict: boolean;
  json: boolean;
}

interface ConvertArgs extends LoadArgs {
  pipeline: FeaturePipelineName;
  out: string;
}

/** What `proteus dataset convert` prints. */
export interface ConvertSummary {
  out: string;
  workflow: string;
  generation: Generation;
  pipeline: FeaturePipelineName;
  pipelineVersion: number;
  runs: number;
  jobsPerRun: number;
  features: string[];
  skipped: DatasetSummary['skipped'];
}

/**
 * `proteus dataset inspect|convert`: check a Flow-Bench trace archive and turn it into an Arrow feature file.
 * @example proteus dataset inspect ../shared/datasets/flowbench/montage.zip --json
 */
export function registerDatasetCommands(cli: Argv, io: CliIo): Argv {
  return cli.command('dataset', 'Inspect datasets and convert them into feature files', (dataset) =>
    dataset
      .command(
        'inspect <path>',
        'Load a Flow-Bench zip or folder, check every run against the DAG and count runs and labels',
        (y) => withLoadOptions(y),
        async (argv) => {
          const args = argv as unknown as LoadArgs;
          const loaded = await loadDatasetInput(resolve(io.cwd, args.path), loadOptions(args, io));
          printResult(io, summarizeDataset(loaded), { json: args.json, table: renderSummary });
        },
      )
      .command(
        'convert <path>',
        'Load a Flow-Bench zip or folder and write its features as an Arrow IPC file',
        (y) =>
          withLoadOptions(y)
            .option('pipeline', {
              choices: Object.keys(FEATURE_PIPELINES),
              default: 'flowbench-v1',
              describe: 'Feature pipeline',
            })
            .option('out', { type: 'string', demandOption: true, describe: 'The .arrow file to write' }),
        async (argv) => {
          const args = argv as unknown as ConvertArgs;
          const loaded = await loadDatasetInput(resolve(io.cwd, args.path), loadOptions(args, io));
          const features = extractFeatures(loaded, { pipeline: args.pipeline });
          const out = resolve(io.cwd, args.out);
          await writeDatasetArrow(features, out);
          const summary: ConvertSummary = {
            out,
            workflow: features.workflow,
            generation: features.generation,
            pipeline: features.pipeline,
            pipelineVersion: features.pipelineVersion,
            runs: features.runs.length,
            jobsPerRun: features.jobsPerRun,
            features: [...features.featureNames],
            skipped: summarizeDataset(loaded).skipped,
          };
          printResult(io, summary, { json: args.json, table: renderConvert });
        },
      )
      .demandCommand(1, 'Name a dataset command: inspect or convert.'),
  );
}

function withLoadOptions(y: Argv): Argv {
  return y
    .positional('path', {
      type: 'string',
      demandOption: true,
      describe: 'A Flow-Bench zip or folder, Pegasus submit dir(s), or WfFormat instance(s)',
    })
    .option('adjacency', {
      type: 'string',
      describe: 'The DAG as Flow-Bench adjacency JSON (default: adjacency_list_dags/<workflow>.json beside the input)',
    })
    .option('generation', { type: 'number', choices: [1, 2], describe: 'Trace generation (default: detected)' })
    .option('strict', { type: 'boolean', default: false, describe: 'Fail on the first bad run instead of skipping it' })
    .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object' });
}

function loadOptions(args: LoadArgs, io: CliIo) {
  return {
    adjacency: args.adjacency === undefined ? undefined : resolve(io.cwd, args.adjacency),
    generation: args.generation,
    strict: args.strict,
    signal: io.signal,
    onProgress: createProgressReporter(io),
  };
}

function renderSummary(summary: DatasetSummary): string {
  const lines = [
    formatTable([
      ['workflow', summary.workflow],
      ['generation', summary.generation],
      ['runs', summary.runs],
      ['jobs per run', summary.jobsPerRun],
      ['edges', summary.edges],
      ['anomalous jobs', `${(summary.anomalousJobFraction * 100).toFixed(1)}%`],
      ['skipped runs', summary.skipped.length],
    ]),
    '',
    formatTable([
      ['label', 'runs', 'jobs'],
      ...Object.keys({ ...summary.runLabels, ...summary.jobLabels }).map((label) => [
        label,
        summary.runLabels[label] ?? 0,
        summary.jobLabels[label] ?? 0,
      ]),
    ]),
  ];
  if (summary.skipped.length > 0) {
    lines.push('', 'skipped:', ...summary.skipped.map((s) => `  ${s.file}  ${s.code}  ${s.message}`));
  }
  return lines.join('\n');
}

function renderConvert(summary: ConvertSummary): string {
  return formatTable([
    ['wrote', summary.out],
    ['workflow', `${summary.workflow} (gen-${summary.generation})`],
    ['pipeline', `${summary.pipeline} v${summary.pipelineVersion}`],
    ['shape', `${summary.runs} runs x ${summary.jobsPerRun} jobs x ${summary.features.length} features`],
    ['skipped runs', summary.skipped.length],
  ]);
}
