import { describe, expect, it } from 'vitest';
import { probeCgroups } from './cgroups.js';

const hybrid = [
  'cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0',
  'cgroup /sys/fs/cgroup/cpuset cgroup rw,relatime,cpuset 0 0',
  'cgroup /sys/fs/cgroup/blkio cgroup rw,relatime,blkio 0 0',
  'cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0',
].join('\n');

describe('probeCgroups', () => {
  it.skipIf(process.getuid?.() !== 0)('prefers the v1 hierarchies of a hybrid host', () => {
    const probe = probeCgroups(hybrid);
    expect(probe).toMatchObject({ ok: true, host: { version: 1 } });
    if (probe.ok && probe.host.version === 1)
      expect(probe.host.mounts.map((m) => m.controller)).toEqual(['cpu', 'cpuset', 'blkio']);
  });

  it('says what is missing when there is no cgroup filesystem', () => {
    const probe = probeCgroups('proc /proc proc rw 0 0');
    expect(probe.ok).toBe(false);
    if (!probe.ok) expect(probe.missing.join(' ')).toMatch(/cgroup filesystem/);
  });

  it('understands co-mounted v1 controllers (cpu,cpuacct)', () => {
    const probe = probeCgroups(
      'cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,cpu,cpuacct 0 0\ncgroup /sys/fs/cgroup/cpuset cgroup rw,cpuset 0 0\ncgroup /sys/fs/cgroup/blkio cgroup rw,blkio 0 0',
    );
    if (probe.ok && probe.host.version === 1) expect(probe.host.mounts[0]?.path).toBe('/sys/fs/cgroup/cpu,cpuacct');
    else expect(probe.ok ? [] : probe.missing.join(' ')).toMatch(/root/);
  });
});
