import { randomBytes } from 'node:crypto';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { currentProcessIdentity, isProcessIdentityAlive, type ProcessIdentity, ProteusError } from '@proteus-wf/core';

/** The lock file in a campaign's output folder. */
export const LOCK_FILE = 'campaign.lock';

/** What the lock file holds: who runs the campaign and since when. */
export interface CampaignLockHolder extends ProcessIdentity {
  /** ISO time the lock was taken. */
  since: string;
}

/** A held lock; `release` removes the file if it is still ours. */
export interface CampaignLock {
  readonly path: string;
  readonly holder: CampaignLockHolder;
  release(): Promise<void>;
}

const ATTEMPTS = 5;

/**
 * Takes the exclusive lock of a campaign folder. The lock file appears complete or not at all: it is written to a
 * private temporary name and hard-linked to `campaign.lock`, which fails with EEXIST when another process holds it.
 * A lock whose holder is dead (pid gone, reused with another start time, or from an earlier boot) is taken over: it is
 * renamed away (only one contender's rename succeeds), and put back if it turns out to be a live holder's after all.
 * @throws ProteusError PROTEUS_CONTROLLER_LOCKED naming the live holder (pid, host, since)
 */
export async function lockCampaignFolder(outDir: string, where: string): Promise<CampaignLock> {
  const path = join(outDir, LOCK_FILE);
  const holder: CampaignLockHolder = { ...currentProcessIdentity(), since: new Date().toISOString() };
  const text = `${JSON.stringify(holder)}\n`;
  const temporary = join(outDir, `.${LOCK_FILE}.${process.pid}.${randomBytes(4).toString('hex')}.new`);
  await writeFile(temporary, text, { flag: 'wx' });
  try {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        await link(temporary, path);
        return {
          path,
          holder,
          release: async () => {
            const current = await readFile(path, 'utf8').catch(() => undefined);
            if (current === text) await unlink(path).catch(() => undefined);
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const existing = await readFile(path, 'utf8').catch(() => undefined);
      if (existing === undefined) continue; // released in between: try again
      const other = parseHolder(existing);
      if (other === undefined) {
        throw new ProteusError(
          'PROTEUS_CONTROLLER_LOCKED',
          `${where}: ${path} exists but does not name a holder process. If no campaign runs in ${outDir}, remove the file and start again.`,
          { details: { path } },
        );
      }
      if (isProcessIdentityAlive(other)) throw locked(where, path, outDir, other);
      await takeOverStale(path, existing);
    }
    throw new ProteusError(
      'PROTEUS_CONTROLLER_LOCKED',
      `${where}: could not take ${path} after ${ATTEMPTS} tries; other processes keep taking it. Run one campaign per output folder.`,
      { details: { path } },
    );
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

/** Moves a dead holder's lock aside; restores it when what was moved is not the stale text (a new holder's lock). */
async function takeOverStale(path: string, staleText: string): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // another contender moved it first
    throw error;
  }
  const moved = await readFile(aside, 'utf8').catch(() => undefined);
  if (moved !== staleText) await link(aside, path).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

function parseHolder(text: string): CampaignLockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<CampaignLockHolder>;
    if (
      typeof value === 'object' &&
      value !== null &&
      Number.isSafeInteger(value.pid) &&
      typeof value.startTime === 'string' &&
      typeof value.bootId === 'string' &&
      typeof value.hostname === 'string'
    ) {
      return { since: '', ...value } as CampaignLockHolder;
    }
  } catch {
    // Not JSON: reported by the caller.
  }
  return undefined;
}

function locked(where: string, path: string, outDir: string, holder: CampaignLockHolder): ProteusError {
  return new ProteusError(
    'PROTEUS_CONTROLLER_LOCKED',
    `${where}: ${outDir} is in use by process ${holder.pid} on ${holder.hostname} (since ${holder.since || 'an unknown time'}; lock ${path}). Wait for it to finish, stop it, or use another --out folder.`,
    { details: { path, holder } },
  );
}
