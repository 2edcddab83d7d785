import { describe, expect, it } from 'vitest';
import { type ExperimentRequestProblem, validateExperimentRequestFile } from './experiment-requests.js';
import { isProteusError } from './proteus-error.js';

function problemsOf(input: unknown, options = {}): ExperimentRequestProblem[] {
  try {
    validateExperimentRequestFile(input, options);
  } catch (error) {
    expect(isProteusError(error, 'PROTEUS_CORE_INVALID_REQUESTS')).toBe(true);
    return (error as { details: ExperimentRequestProblem[] }).details;
  }
  return expect.unreachable('the input was accepted');
}

describe('validateExperimentRequestFile', () => {
  it('accepts counts, explicit workers, family + level and hints, and returns a copy', () => {
    const input = {
      id: 'al-gradient-s0-k0003',
      requests: [
        { workflow: 'genome', anomaly: 'cpu_2', anomalousWorkers: 2, runs: 1 },
        {
          workflow: 'genome',
          anomaly: 'hdd',
          level: 5,
          anomalousWorkers: ['w3'],
          runs: 2,
          hints: { jobs: ['a'], confidence: [0.12], runIds: ['genome-run0004'], note: 'kept' },
        },
        { workflow: 'genome', anomaly: 'normal', anomalousWorkers: 0, runs: 1 },
      ],
    };
    const file = validateExperimentRequestFile(input);
    expect(file).toEqual(input);
    expect(file.requests[1]?.hints).not.toBe(input.requests[1]?.hints);
    expect(validateExperimentRequestFile({ requests: input.requests })).not.toHaveProperty('id');
  });

  it('throws PROTEUS_CORE_INVALID_REQUESTS listing every problem with its path', () => {
    const problems = problemsOf({
      id: 'has space',
      extra: 1,
      requests: [
        { workflow: '', anomaly: 'cpu', anomalousWorkers: -1, runs: 0, extra: true },
        { anomaly: 7, level: 0, anomalousWorkers: [], runs: 1.5 },
        'cpu_2',
      ],
    });
    expect(problems.map((problem) => problem.path)).toEqual([
      '',
      'id',
      'requests[0]',
      'requests[0].workflow',
      'requests[0].anomalousWorkers',
      'requests[0].runs',
      'requests[1].workflow',
      'requests[1].anomaly',
      'requests[1].level',
      'requests[1].anomalousWorkers',
      'requests[1].runs',
      'requests[2]',
    ]);
    expect(problems[0]?.message).toContain('"extra"');
    expect(problems[5]?.message).toContain('got 0');
  });

  it('checks the known hints: job names, confidences in 0..1 and run ids', () => {
    const request = { workflow: 'genome', anomaly: 'cpu_2', anomalousWorkers: 1, runs: 1 };
    const problems = problemsOf({
      requests: [
        { ...request, hints: { jobs: [3], confidence: [0.5, 1.5], runIds: [''] } },
        { ...request, hints: ['a'] },
      ],
    });
    expect(problems.map((problem) => problem.path)).toEqual([
      'requests[0].hints.jobs',
      'requests[0].hints.confidence',
      'requests[0].hints.runIds',
      'requests[1].hints',
    ]);
  });

  it('refuses a root that is not a request file, and an empty or missing request list', () => {
    expect(problemsOf([]).map((problem) => problem.path)).toEqual(['']);
    expect(problemsOf(null).map((problem) => problem.path)).toEqual(['']);
    expect(problemsOf({}).map((problem) => problem.path)).toEqual(['requests']);
    expect(problemsOf({ requests: [] }).map((problem) => problem.path)).toEqual(['requests']);
  });

  it("throws in the caller's scope and names the source", () => {
    const scope = { prefix: 'AL', where: 'active-learner' } as const;
    expect(() => validateExperimentRequestFile({ requests: [] }, { scope, source: 'iter-0003.json' })).toThrow(
      expect.objectContaining({
        code: 'PROTEUS_AL_INVALID_REQUESTS',
        message: expect.stringContaining('active-learner: iter-0003.json has 1 problem'),
      }),
    );
  });
});
