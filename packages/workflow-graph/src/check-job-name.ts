/** Why a job name cannot be used, or `undefined` for a usable one. */
export type JobNameProblem = 'empty' | 'dot' | 'separator' | 'nul' | 'control' | 'too-long';

/** The longest job name, in UTF-8 bytes: one file-name component (NAME_MAX) on Linux and macOS. */
export const MAX_JOB_NAME_BYTES = 255;

const REASONS: Record<JobNameProblem, string> = {
  empty: 'is empty',
  dot: 'is "." or ".."',
  separator: 'contains a path separator ("/" or "\\")',
  nul: 'contains a NUL character',
  control: 'contains a control character',
  'too-long': `is longer than ${MAX_JOB_NAME_BYTES} bytes`,
};

// C0 controls, DEL and C1 controls; NUL is reported on its own.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0001-\u001f\u007f-\u009f]/;

/**
 * Checks that a job name can serve as a file-name component: testbeds name a job's scratch folder and log files
 * after it, so `../x`, `a/b`, NUL and control characters (which also garble terminals and CSVs) are refused.
 *
 * @example checkJobName('individuals_ID0000001'); // undefined
 * @example checkJobName('../../etc'); // 'separator'
 * @throws never
 */
export function checkJobName(name: string): JobNameProblem | undefined {
  if (name.length === 0) return 'empty';
  if (name === '.' || name === '..') return 'dot';
  if (name.includes('/') || name.includes('\\')) return 'separator';
  if (name.includes('\u0000')) return 'nul';
  if (CONTROL.test(name)) return 'control';
  if (Buffer.byteLength(name, 'utf8') > MAX_JOB_NAME_BYTES) return 'too-long';
  return undefined;
}

/** The words of a message for a {@link JobNameProblem}. */
export function describeJobNameProblem(problem: JobNameProblem): string {
  return REASONS[problem];
}
