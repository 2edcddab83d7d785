import { createHash } from 'node:crypto';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { ProteusError } from '@proteus-wf/core';

const PLAIN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;
const STEM_LENGTH = 60;

/**
 * The form of a job name used in file names: the name itself when it is plain (letters, digits, `_ . -`, at most 100
 * characters, not starting with `.` or `-`), else its plain characters cut to 60 plus 12 hex digits of its sha256.
 * Parsers already refuse names with separators, but the testbed does not rely on that: whatever the name, the result
 * is one harmless path component, and distinct names map to distinct components.
 */
export function diskNameOf(job: string): string {
  if (PLAIN.test(job)) return job;
  const stem = job
    .replace(/[^A-Za-z0-9_.-]/g, '_')
    .replace(/^[.-]+/, '')
    .slice(0, STEM_LENGTH);
  const hash = createHash('sha256').update(job, 'utf8').digest('hex').slice(0, 12);
  return `${stem || 'job'}~${hash}`;
}

/**
 * Joins `parts` under `root` and checks that the result stays inside it, as a second line of defence before a
 * recursive removal or a write.
 * @throws ProteusError PROTEUS_TESTBED_LOCAL_PATH_ESCAPE when it would not
 */
export function pathInside(root: string, ...parts: string[]): string {
  const base = resolve(root);
  const path = resolve(join(base, ...parts));
  const rest = relative(base, path);
  if (rest === '' || rest.startsWith('..') || isAbsolute(rest)) {
    throw new ProteusError(
      'PROTEUS_TESTBED_LOCAL_PATH_ESCAPE',
      `testbed-local: ${JSON.stringify(parts.join('/'))} resolves to ${path}, outside the run folder ${base}; refusing to touch it`,
      { details: { root: base, path } },
    );
  }
  return path;
}
