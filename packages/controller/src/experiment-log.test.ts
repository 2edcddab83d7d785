import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTempDir } from '../test/support/temp-dir.js';
import { openExperimentLog, readExperimentLog } from './index.js';

describe('openExperimentLog', () => {
  it('appends whole JSON lines in order, even when appends are not awaited one by one', async () => {
    const dir = await createTempDir();
    try {
      const path = join(dir.path, 'log', 'experiments.log.jsonl');
      const log = await openExperimentLog(path);
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          log.append({ event: 'campaign-start', at: String(i), planId: 'p', runs: i }),
        ),
      );
      const entries = await readExperimentLog(path);
      expect(entries.map((entry) => (entry as { runs: number }).runs)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    } finally {
      await dir.dispose();
    }
  });

  it('survives a torn last line: it is skipped on read and the next append starts a fresh line', async () => {
    const dir = await createTempDir();
    try {
      const path = join(dir.path, 'experiments.log.jsonl');
      const first = await openExperimentLog(path);
      await first.append({ event: 'campaign-start', at: 'a', planId: 'p', runs: 1 });
      await appendFile(path, '{"event":"run-start","planId":"p","ru');
      expect(await readExperimentLog(path)).toHaveLength(1);
      const second = await openExperimentLog(path);
      await second.append({ event: 'campaign-end', at: 'b', planId: 'p', done: 1, failed: 0 });
      const entries = await readExperimentLog(path);
      expect(entries.map((entry) => entry.event)).toEqual(['campaign-start', 'campaign-end']);
      expect((await readFile(path, 'utf8')).split('\n')).toHaveLength(4);
    } finally {
      await dir.dispose();
    }
  });

  it('reads a missing log as empty', async () => {
    expect(await readExperimentLog('/nonexistent/proteus/experiments.log.jsonl')).toEqual([]);
  });
});
