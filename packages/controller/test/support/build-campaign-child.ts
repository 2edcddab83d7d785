import { join } from 'node:path';
import { bundleForChildProcess } from '@proteus-wf/test-utils';

/** `support/campaign-child.ts`, bundled against the sources under test, for tests that SIGKILL a real campaign. */
export function buildCampaignChild(): Promise<{ path: string; dispose: () => Promise<void> }> {
  return bundleForChildProcess(join(import.meta.dirname, 'campaign-child.ts'), { name: 'campaign-child' });
}
