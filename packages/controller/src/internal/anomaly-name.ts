import { isProteusError } from '@proteus-wf/core';
import { parseAnomaly } from '@proteus-wf/injector';

/**
 * Returns why `name` is not a Flow-Bench anomaly name the injector can apply, or `undefined` when it is one.
 * Labels are the names themselves, so only the canonical lower-case forms are accepted (`normal`, `cpu_2`).
 */
export function checkAnomalyName(name: string): string | undefined {
  if (name !== name.toLowerCase() || name === 'none' || name.startsWith('{')) {
    return `anomaly "${name}" is not a dataset name; use "normal", "cpu_<cores>", "hdd_<MB/s>" or "loss_<percent>"`;
  }
  try {
    parseAnomaly(name);
    return undefined;
  } catch (error) {
    if (isProteusError(error)) return error.message;
    throw error;
  }
}
