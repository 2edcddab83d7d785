import { ProteusError, type ProteusErrorCode } from '@proteus-wf/core';

/** Every code this package throws itself (runPegasusWorkflow throws its caller's scoped codes). */
export type PegasusErrorCode =
  | 'PROTEUS_PEGASUS_MALFORMED_KICKSTART'
  | 'PROTEUS_PEGASUS_NOT_A_SUBMIT_DIR'
  | 'PROTEUS_PEGASUS_READ_FAILED'
  | 'PROTEUS_PEGASUS_DAG_INVALID'
  | 'PROTEUS_PEGASUS_NO_JOBS'
  | 'PROTEUS_PEGASUS_WORKFLOW_MISMATCH'
  | 'PROTEUS_PEGASUS_STATE_INVALID'
  | 'PROTEUS_PEGASUS_FOLLOW_TIMEOUT'
  | 'PROTEUS_PEGASUS_INVALID_OPTION';

export function pegasusError(
  code: PegasusErrorCode & ProteusErrorCode,
  message: string,
  options: { details?: unknown; cause?: unknown } = {},
): ProteusError {
  return new ProteusError(code, message, options);
}
