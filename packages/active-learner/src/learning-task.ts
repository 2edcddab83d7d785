/*
 * What the learner predicts: one label per job (`node`) or per run (`graph`), normal/anomalous (`binary`) or one class
 * per anomaly type and level (`multiclass`, the run labels: `cpu_2`, `hdd_10`, `loss_0.1`, ...), as `proteus train`'s
 * `--task` and `--labels`. The task fixes the model's head, its loss and the metric every curve reports:
 * - node binary: job ROC-AUC of p(anomalous);
 * - graph binary: run ROC-AUC of p(anomalous) on the test runs;
 * - multiclass (node or graph): macro one-vs-rest ROC-AUC over the class probabilities, sklearn's
 *   `roc_auc_score(y, P, multi_class='ovr', average='macro')`, over the classes present in the evaluated labels.
 */
import { ProteusError } from '@proteus-wf/core';
import { rocAuc } from '@proteus-wf/models';

/** One label per job (`node`) or per run (`graph`). */
export type TaskLevel = 'node' | 'graph';
/** Normal vs anomalous, or one class per anomaly type and level. */
export type TaskLabels = 'binary' | 'multiclass';

/** What {@link defineLearningTask} takes. */
export interface LearningTaskOptions {
  /** Default `node`. */
  level?: TaskLevel;
  /** Default `binary`. */
  labels?: TaskLabels;
}

/** A resolved task: level, labels and the class names (class 0 is always `normal`). */
export interface LearningTask {
  level: TaskLevel;
  labels: TaskLabels;
  classes: readonly string[];
  /** The metric every curve reports under this task (`rocAuc` in the summaries holds it). */
  metric: 'job ROC-AUC' | 'run ROC-AUC' | 'job macro OvR ROC-AUC' | 'run macro OvR ROC-AUC';
}

const WHERE = 'active-learner/defineLearningTask';

/**
 * Resolves a task over the run labels of a dataset: binary has the classes `normal` and `anomalous`; multiclass
 * `normal` then the other labels sorted.
 * @example defineLearningTask({ level: 'graph', labels: 'multiclass' }, ['normal', 'cpu_2', 'hdd_50']).classes // ['normal', 'cpu_2', 'hdd_50']
 * @throws ProteusError PROTEUS_AL_INVALID_OPTION for an unknown level or labels, or multiclass labels with fewer than
 *   two classes
 */
export function defineLearningTask(options: LearningTaskOptions, runLabels: readonly string[]): LearningTask {
  const level = options.level ?? 'node';
  const labels = options.labels ?? 'binary';
  if (level !== 'node' && level !== 'graph')
    throw new ProteusError(
      'PROTEUS_AL_INVALID_OPTION',
      `${WHERE}: task must be "node" or "graph", got ${JSON.stringify(level)}`,
    );
  if (labels !== 'binary' && labels !== 'multiclass')
    throw new ProteusError(
      'PROTEUS_AL_INVALID_OPTION',
      `${WHERE}: labels must be "binary" or "multiclass", got ${JSON.stringify(labels)}`,
    );
  const anomalies = [...new Set(runLabels.filter((l) => l !== 'normal'))].sort();
  const classes = labels === 'binary' ? ['normal', 'anomalous'] : ['normal', ...anomalies];
  if (labels === 'multiclass' && classes.length < 3)
    throw new ProteusError(
      'PROTEUS_AL_INVALID_OPTION',
      `${WHERE}: multiclass labels need at least two anomaly labels besides normal, the runs have ${anomalies.length} (${anomalies.join(', ') || 'none'}); use --labels binary`,
      { details: { anomalies } },
    );
  const metric =
    labels === 'binary'
      ? level === 'graph'
        ? 'run ROC-AUC'
        : 'job ROC-AUC'
      : level === 'graph'
        ? 'run macro OvR ROC-AUC'
        : 'job macro OvR ROC-AUC';
  return { level, labels, classes, metric };
}

/**
 * The class index of a job or run label under a task (`normal` is 0; binary: every anomaly is 1).
 * @example classIndex(task, 'cpu_2')
 * @throws ProteusError PROTEUS_AL_LABEL_UNKNOWN for a multiclass label the task has no class for
 */
export function classIndex(task: LearningTask, label: string): number {
  if (label === 'normal') return 0;
  if (task.labels === 'binary') return 1;
  const index = task.classes.indexOf(label);
  if (index < 0)
    throw new ProteusError(
      'PROTEUS_AL_LABEL_UNKNOWN',
      `active-learner/classIndex: label "${label}" is not one of the task's classes (${task.classes.join(', ')}); the task was defined over other runs`,
      { details: { label, classes: task.classes } },
    );
  return index;
}

/**
 * Macro one-vs-rest ROC-AUC of class probabilities `[items, classes]`, as sklearn's
 * `roc_auc_score(y, P, multi_class='ovr', average='macro')`: the unweighted mean over classes of the binary ROC-AUC of
 * "this class vs the rest" scored by that class's probability. Classes absent from `yTrue` are left out of the mean
 * (sklearn raises for them unless `labels` is given).
 * @example macroRocAuc([0, 1, 2, 2], Float32Array.of(.8, .1, .1, .2, .7, .1, .1, .2, .7, .3, .3, .4), 3)
 * @throws ProteusError PROTEUS_MODELS_METRIC_SINGLE_CLASS when `yTrue` holds fewer than two classes
 */
export function macroRocAuc(yTrue: ArrayLike<number>, probabilities: ArrayLike<number>, classes: number): number {
  const present = [...new Set(Array.from(yTrue))].sort((a, b) => a - b);
  if (present.length < 2)
    throw new ProteusError(
      'PROTEUS_MODELS_METRIC_SINGLE_CLASS',
      `active-learner/macroRocAuc: the labels hold ${present.length} class; one-vs-rest ROC-AUC needs two or more`,
    );
  let sum = 0;
  for (const c of present) {
    const binary = Uint8Array.from(Array.from(yTrue), (y) => (y === c ? 1 : 0));
    const scores = Float32Array.from({ length: yTrue.length }, (_, i) => probabilities[i * classes + c] as number);
    sum += rocAuc(binary, scores);
  }
  return sum / present.length;
}
