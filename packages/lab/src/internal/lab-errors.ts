import { createHash } from 'node:crypto';
import type { CampaignResult, ExperimentRequest } from '@proteus-wf/controller';
import { ProteusError } from '@proteus-wf/core';

export const WHERE = 'lab';
/** Names of workflows and backends: they become folder and request-id parts. */
export const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function invalidOptions(problems: string[]): ProteusError {
  return new ProteusError(
    'PROTEUS_LAB_INVALID_OPTIONS',
    `${WHERE}: ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.join('; ')}`,
    { details: { problems } },
  );
}

/** Eight hex digits naming a list of requests, so other requests never reuse a batch's runs. */
export function digestOf(requests: ExperimentRequest[]): string {
  return createHash('sha256').update(JSON.stringify(requests)).digest('hex').slice(0, 8);
}

export function firstError(result: CampaignResult): string {
  const failed = result.runs.find((run) => run.error);
  return failed?.error ? `${failed.error.code}: ${failed.error.message}` : 'no error recorded';
}
