// The flags `al emulate` and `al run` share: how much to train per iteration and when to stop.
import {
  STOPPING_RULES,
  type StoppingOptions,
  type StoppingRuleName,
  type TrainingProtocolOptions,
} from '@proteus-wf/active-learner';
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
