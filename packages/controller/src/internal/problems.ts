import type { z } from 'zod';

/** One validation problem: where in the input (a dotted path) and what is wrong there. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/** Turns zod issues into problems with dotted paths (`experiments[0].number_of_runs`). */
export function collectIssues(error: z.ZodError): ConfigProblem[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

/** One problem per line, indented, for error messages. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  return problems.map((problem) => `  - ${problem.path || '(root)'}: ${problem.message}`).join('\n');
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}
