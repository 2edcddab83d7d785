import type { JobRecord, WorkflowRunResult } from '@proteus-wf/core';
import { GEN2_COLUMNS } from '@proteus-wf/features';
import { describe, expect, it } from 'vitest';
import { formatAdjacencyJson, formatRunCsv } from './index.js';

function record(name: string, overrides: Partial<JobRecord>): JobRecord {
  return {
    job: name,
    type: 'compute',
    transformation: 'tr',
    worker: 'w1',
    ready: 0,
    submit: 0,
    executeStart: 0,
    executeEnd: 0,
    cpuTimeSeconds: 0,
    bytesRead: 0,
    bytesWritten: 0,
    exitCode: 0,
    attempts: 1,
    executable: '/bin/tr',
    argv: [],
    ...overrides,
  };
}

function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i] as string;
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      cells.push(cell);
      cell = '';
    } else cell += char;
  }
  cells.push(cell);
  return cells;
}

function parse(csv: string): Array<Record<string, string>> {
  const [header, ...lines] = csv.trimEnd().split('\n');
  const columns = splitCsvLine(header as string);
  return lines.map((line) => {
    const cells = splitCsvLine(line);
    expect(cells).toHaveLength(45);
    return Object.fromEntries(columns.map((column, i) => [column === '' ? 'job' : column, cells[i] ?? '']));
  });
}

const result: WorkflowRunResult = {
  runId: 'wf-run0001',
  workflow: 'wf',
  startedAt: 1000,
  endedAt: 1100,
  succeeded: true,
  jobs: [
    // Deliberately out of ready order.
    record('child', {
      worker: 'w2',
      ready: 999,
      submit: 1031,
      stageInStart: 1032,
      stageInEnd: 1034,
      stageInBytes: 4000,
      executeStart: 1034,
      executeEnd: 1050.25,
      stageOutStart: 1049,
      stageOutEnd: 1050,
      stageOutBytes: 100,
      cpuTimeSeconds: 12.34,
      bytesRead: 1000,
      bytesWritten: 500,
      readSyscalls: 7,
      writeSyscalls: 3,
      userSeconds: 10,
      systemSeconds: 2.3,
      argv: ['-k', 'a,b'],
    }),
    record('root', {
      ready: 1000,
      submit: 1001,
      preScriptStart: 1000.5,
      preScriptEnd: 1000.9,
      executeStart: 1002,
      executeEnd: 1020,
      postScriptStart: 1020,
      postScriptEnd: 1030,
      exitCode: 0,
    }),
  ],
};

describe('formatRunCsv', () => {
  const csv = formatRunCsv(result, {
    labels: new Map([['child', 'cpu_2']]),
    dag: { root: ['child'], child: [] },
    sites: new Map([['w2', 'site-b']]),
    user: 'tester',
  });
  const rows = parse(csv);

  it('writes the unnamed job column then the 44 gen-2 columns in published order', () => {
    expect(csv.split('\n')[0]).toBe(['', ...GEN2_COLUMNS].join(','));
    expect(GEN2_COLUMNS).toHaveLength(44);
  });

  it('sorts rows by the recomputed ready time and labels normal jobs with the literal None', () => {
    expect(rows.map((row) => row.job)).toEqual(['root', 'child']);
    expect(rows.map((row) => row.anomaly_type)).toEqual(['None', 'cpu_2']);
  });

  it('computes ready and the delays like Poseidon-X: roots at workflow start, children at the parent post-script end', () => {
    const [root, child] = rows as [Record<string, string>, Record<string, string>];
    expect(root.ready).toBe('1000.0');
    expect(root.wms_delay).toBe('0.5'); // pre_script_start - ready
    expect(Number(root.pre_script_delay)).toBeCloseTo(0.4, 9);
    expect(root.queue_delay).toBe('1.0');
    expect(root.runtime).toBe('18.0');
    expect(root.post_script_delay).toBe('10.0');
    expect(root.stage_in_delay).toBe('');
    expect(root.stage_in_effective_bytes_per_sec).toBe('0.0');
    expect(child.ready).toBe('1030.0');
    expect(child.wms_delay).toBe('1.0'); // submit - ready
    expect(child.queue_delay).toBe('3.0');
    expect(child.runtime).toBe('16.25'); // sub-second precision is kept
    expect(child.stage_in_delay).toBe('2.0');
    expect(child.stage_in_bytes).toBe('4000.0');
    expect(child.stage_in_effective_bytes_per_sec).toBe('2000.0');
    expect(child.stage_out_effective_bytes_per_sec).toBe('100.0');
  });

  it('fills the kickstart columns from the job record and the worker sites', () => {
    const child = rows[1] as Record<string, string>;
    expect(child.kickstart_user).toBe('tester');
    expect(child.kickstart_site).toBe('site-b');
    expect(child.kickstart_hostname).toBe('w2');
    expect(child.kickstart_executables_cpu_time).toBe('12.34');
    expect(child.kickstart_status).toBe('0');
    expect(child.kickstart_executables_exitcode).toBe('0');
    expect(child.is_clustered).toBe('0');
    expect(child.kickstart_online_iowait).toBe('');
    expect(child.kickstart_online_read_system_calls).toBe('7.0');
    expect(Number(child.kickstart_online_bytes_read_per_second)).toBe(1000 / 16.25);
    expect(rows[0]?.kickstart_site).toBe('local');
  });

  it('quotes a cell that holds a comma', () => {
    expect(csv).toContain(',"-k a,b",');
  });
});

describe('formatAdjacencyJson', () => {
  it('writes every job as a key with its children', () => {
    expect(JSON.parse(formatAdjacencyJson({ a: ['b'], b: [] }))).toEqual({ a: ['b'], b: [] });
  });
});
