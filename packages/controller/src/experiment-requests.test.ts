import { isProteusError } from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import { parseCampaignConfig, parseExperimentRequests, planExperimentRequests, requestKeyOf } from './index.js';

const config = parseCampaignConfig(
  {
    infrastructure: { workers: ['w1', 'w2', 'w3'].map((name) => ({ name, cores: 1, memory_mb: 256 })) },
    experiments: [{ workflow: 'genome', type: 'normal', number_of_runs: 1, number_of_anomaly_workers: [] }],
    workflows: { genome: { path: '/w/genome.yml' } },
  },
  { baseDir: '/' },
);

describe('parseExperimentRequests', () => {
  it('accepts full names, family + level, counts and explicit workers', () => {
    const file = parseExperimentRequests(
      {
        requests: [
          { workflow: 'genome', anomaly: 'cpu_2', anomalousWorkers: 2, runs: 1 },
          { workflow: 'genome', anomaly: 'hdd', level: 5, anomalousWorkers: ['w3'], runs: 2, hints: { jobs: ['a'] } },
        ],
      },
      config,
    );
    expect(file.requests).toHaveLength(2);
  });

  it('throws PROTEUS_CONTROLLER_INVALID_REQUESTS for schema problems, all listed', () => {
    try {
      parseExperimentRequests({ requests: [{ workflow: 'genome', runs: 0, extra: true }] }, config);
      expect.unreachable();
    } catch (error) {
      expect(isProteusError(error, 'PROTEUS_CONTROLLER_INVALID_REQUESTS')).toBe(true);
      const paths = (error as { details: Array<{ path: string }> }).details.map((problem) => problem.path);
      expect(paths).toEqual(
        expect.arrayContaining([
          'requests[0].anomaly',
          'requests[0].anomalousWorkers',
          'requests[0].runs',
          'requests[0]',
        ]),
      );
    }
  });

  it('throws PROTEUS_CONTROLLER_INVALID_REQUESTS for a placement without jobs or on a normal run', () => {
    try {
      parseExperimentRequests(
        {
          requests: [
            { workflow: 'genome', anomaly: 'cpu_1', anomalousWorkers: 1, runs: 1, hints: { placement: { jobs: [] } } },
            {
              workflow: 'genome',
              anomaly: 'normal',
              anomalousWorkers: 0,
              runs: 1,
              hints: { placement: { jobs: ['a'] } },
            },
          ],
        },
        config,
      );
      expect.unreachable();
    } catch (error) {
      expect(isProteusError(error, 'PROTEUS_CONTROLLER_INVALID_REQUESTS')).toBe(true);
      const paths = (error as { details: Array<{ path: string }> }).details.map((problem) => problem.path);
      expect(paths).toEqual(['requests[0].hints.placement', 'requests[1].hints.placement']);
    }
  });
});

describe('planExperimentRequests', () => {
  it('leaves a placed anomaly without drawn workers: the testbed names the worker of the target jobs', () => {
    const file = {
      requests: [
        { workflow: 'genome', anomaly: 'cpu_1', anomalousWorkers: 1, runs: 1, hints: { placement: { jobs: ['a'] } } },
      ],
    };
    const plan = planExperimentRequests(file, config, { seed: 1 });
    expect(plan.runs[0]).toMatchObject({
      anomaly: 'cpu_1',
      anomalousWorkers: [],
      hints: { placement: { jobs: ['a'] } },
    });
  });

  it('draws counted workers with the seed, keeps explicit ones, records hints and continues numbering', () => {
    const file = parseExperimentRequests(
      {
        requests: [
          { workflow: 'genome', anomaly: 'cpu', level: 2, anomalousWorkers: 2, runs: 2 },
          { workflow: 'genome', anomaly: 'hdd_5', anomalousWorkers: ['w3'], runs: 1, hints: { jobs: ['x'] } },
        ],
      },
      config,
    );
    const plan = planExperimentRequests(file, config, { seed: 9, firstRunNumbers: { genome: 20 } });
    expect(plan.runs.map((run) => run.id)).toEqual(['genome-run0020', 'genome-run0021', 'genome-run0022']);
    expect(plan.runs[0]?.anomalousWorkers).toHaveLength(2);
    expect(plan.runs[2]).toMatchObject({ anomaly: 'hdd_5', anomalousWorkers: ['w3'], hints: { jobs: ['x'] } });
    expect(plan.source).toEqual({ kind: 'requests', key: requestKeyOf(file) });
    expect(planExperimentRequests(file, config, { seed: 9, firstRunNumbers: { genome: 20 } })).toEqual(plan);
  });

  it('keys a batch by its id, else by its content', () => {
    const a = { requests: [{ workflow: 'genome', anomaly: 'normal', anomalousWorkers: 0, runs: 1 }] };
    expect(requestKeyOf(a)).toBe(requestKeyOf(structuredClone(a)));
    expect(requestKeyOf({ ...a, id: 'iteration-3' })).toBe('iteration-3');
    expect(requestKeyOf({ requests: [{ ...a.requests[0]!, runs: 2 }] })).not.toBe(requestKeyOf(a));
  });
});

describe('request counts', () => {
  it('throws PROTEUS_CONTROLLER_INVALID_REQUESTS for runs: 1e7 instead of planning ten million runs', () => {
    expect(() =>
      parseExperimentRequests(
        { requests: [{ workflow: 'genome', anomaly: 'normal', anomalousWorkers: 0, runs: 1e7 }] },
        config,
      ),
    ).toThrow(
      expect.objectContaining({
        code: 'PROTEUS_CONTROLLER_INVALID_REQUESTS',
        details: expect.arrayContaining([{ path: 'requests[0].runs', message: expect.stringContaining('10000') }]),
      }),
    );
  });

  it('throws PROTEUS_CONTROLLER_TOO_MANY_RUNS from planExperimentRequests for a file that skipped validation', () => {
    const file = { requests: [{ workflow: 'genome', anomaly: 'normal', anomalousWorkers: 0, runs: 200_000 }] };
    expect(() => planExperimentRequests(file, config, { seed: 1 })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_CONTROLLER_TOO_MANY_RUNS' }),
    );
  });
});
