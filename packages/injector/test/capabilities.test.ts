import { describe, expect, it } from 'vitest';
import { createLocalRunner, detectCapabilities } from '../src/index.js';
import { cgroupV1, hasCommand, isRoot } from './helpers.js';

const hasNft = await hasCommand('nft', ['--version']);
const hasStressNg = await hasCommand('stress-ng', ['--version']);

describe('detectCapabilities', () => {
  it('reports every backend with a reason and a fix when it is missing, and agrees with what the machine has', async () => {
    const caps = await detectCapabilities(createLocalRunner());
    console.log(
      `[injector capabilities] ${Object.entries(caps.backends)
        .map(([name, c]) => `${name}=${c.available ? 'yes' : `no (${c.reason})`}`)
        .join(', ')}`,
    );
    expect(caps.target).toBe('local');
    expect(caps.root).toBe(isRoot);
    for (const capability of Object.values(caps.backends)) {
      if (!capability.available) expect(capability.reason).toBeTruthy();
    }
    expect(caps.backends.stressNode.available).toBe(true);
    expect(caps.backends.stressNg.available).toBe(hasStressNg);
    if (isRoot) {
      expect(caps.backends.nftLoss.available).toBe(hasNft);
      expect(caps.backends.cgroupCpu.available).toBe(cgroupV1 || caps.cgroupVersion === 2);
    }
    if (!caps.backends.netem.available && isRoot) expect(caps.backends.netem.fix).toContain('sch_netem');
  });

  it('says cgroup limits do not apply to a network namespace target', async () => {
    const caps = await detectCapabilities('netns:proteus-none', {});
    expect(caps.backends.cgroupCpu).toMatchObject({ available: false });
  });
});
