// The flags `al emulate` and `al run` share: how much to train per iteration and when to stop.
import {
  STOPPING_RULES,
  type StoppingOptions,
  type StoppingRuleName,
  type TrainingProtocolOptions,
} from '@proteus-wf/active-learner';
import { ProteusError } from '@proteus-wf/core';
import type { Argv } from 'yargs';

/** The parsed protocol and stopping flags. */
export interface LearningFlags {
  protocol?: 'converge' | 'fixed';
  steps?: number;
  maxSteps?: number;
  patience?: number;
  stop: StoppingRuleName;
  stopAgreement?: number;
  stopWindow?: number;
  stopMinRuns?: number;
}

/** Adds `--protocol`, `--steps`, `--max-steps`, `--patience`, `--stop` and the stopping rule's settings. */
export function addLearningOptions<T>(y: Argv<T>) {
  return y
    .option('protocol', {
      choices: ['converge', 'fixed'] as const,
      describe:
        'Training per iteration: converge (default; every labelled run, patience on a validation fold) or fixed (--steps steps on the newest runs plus replay, the paper)',
    })
    .option('steps', { type: 'number', describe: 'Optimizer steps per iteration of --protocol fixed (implies it)' })
    .option('max-steps', { type: 'number', describe: 'Most steps per iteration of --protocol converge (default 150)' })
    .option('patience', {
      type: 'number',
      describe:
        'Looks at the validation fold (every 10 steps) without improvement before an iteration ends (default 3)',
    })
    .option('stop', {
      choices: STOPPING_RULES,
      default: 'stable-predictions' as StoppingRuleName,
      describe: 'Stopping rule without test labels: stable-predictions (successive models agree) or never',
    })
    .option('stop-agreement', { type: 'number', describe: "Cohen's kappa that counts as stable (default 0.9)" })
    .option('stop-window', { type: 'number', describe: 'Stable iterations in a row before stopping (default 3)' })
    .option('stop-min-runs', { type: 'number', describe: 'Fewest labelled runs before stopping (default 6)' });
}

/** The protocol and stopping options of `runActiveLearning` / `emulateActiveLearning` from the flags. */
export function learningOptionsOf(flags: LearningFlags): {
  training: TrainingProtocolOptions;
  stopping: StoppingOptions;
} {
  const fixed = flags.protocol === 'fixed' || (flags.protocol === undefined && flags.steps !== undefined);
  const training: TrainingProtocolOptions = fixed
    ? { kind: 'fixed', ...(flags.steps === undefined ? {} : { steps: flags.steps }) }
    : {
        kind: 'converge',
        ...(flags.maxSteps === undefined ? {} : { maxSteps: flags.maxSteps }),
        ...(flags.patience === undefined ? {} : { patience: flags.patience }),
      };
  const stopping: StoppingOptions = {
    rule: flags.stop,
    ...(flags.stopAgreement === undefined ? {} : { agreement: flags.stopAgreement }),
    ...(flags.stopWindow === undefined ? {} : { window: flags.stopWindow }),
    ...(flags.stopMinRuns === undefined ? {} : { minRuns: flags.stopMinRuns }),
  };
  return { training, stopping };
}

/** The parsed task flags, as `proteus train`'s. */
export interface TaskFlags {
  task?: 'node' | 'graph';
  labels?: 'binary' | 'multiclass';
  generation?: 1 | 2;
}

/** Adds `--task`, `--labels` and `--generation`, as `proteus train` takes them. */
export function addTaskOptions<T>(y: Argv<T>) {
  return y
    .option('task', {
      choices: ['node', 'graph'] as const,
      describe: 'One label per job (node, default) or per run (graph: run ROC-AUC on the test runs)',
    })
    .option('labels', {
      choices: ['binary', 'multiclass'] as const,
      describe:
        'normal/anomalous (default), or one class per anomaly type and level (the run labels; macro one-vs-rest ROC-AUC)',
    })
    .option('generation', {
      type: 'number',
      choices: [1, 2],
      describe: 'Trace generation: 1 = exogeni-2020 (label folders), 2 = Flow-Bench (default: detected)',
    });
}

/**
 * The learner's task from the flags, checked against the model.
 * @throws ProteusError PROTEUS_CLI_USAGE for `--model ssl` with `--task graph` or `--labels multiclass` (the SSL learns
 *   without labels: use `--model gcn`)
 */
export function taskOptionsOf(
  flags: TaskFlags & { model: 'gcn' | 'ssl' },
  where: string,
): { level: 'node' | 'graph'; labels: 'binary' | 'multiclass' } {
  const level = flags.task ?? 'node';
  const labels = flags.labels ?? 'binary';
  if (flags.model === 'ssl' && (level !== 'node' || labels !== 'binary'))
    throw new ProteusError(
      'PROTEUS_CLI_USAGE',
      `${where}: --model ssl learns without labels, so it has no ${level === 'graph' ? '--task graph' : '--labels multiclass'} head; use --model gcn`,
    );
  return { level, labels };
}
