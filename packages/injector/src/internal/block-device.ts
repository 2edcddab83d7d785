import { access, readFile, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ProteusError } from '@proteus-wf/core';

/** The whole disk a throttle applies to. */
export interface BlockDevice {
  /** `MAJ:MIN` of the whole disk (cgroup throttles take the disk, not a partition). */
  majMin: string;
  /** Kernel name, e.g. `vda`, `sda`, `dm-0`. */
  name: string;
  /** What it was resolved from. */
  from: string;
}

/**
 * Resolves a device path, a `MAJ:MIN` pair or any file/folder path to the whole disk behind it.
 * @throws ProteusError PROTEUS_INJECTOR_DEVICE_UNSUPPORTED when the path lives on a filesystem without a block device
 *   (overlay, tmpfs, nfs: major 0), which blkio/io cannot throttle
 */
export async function resolveBlockDevice(from: string): Promise<BlockDevice> {
  let majMin: string;
  if (/^\d+:\d+$/.test(from)) {
    majMin = from;
  } else {
    let info: Awaited<ReturnType<typeof statBig>>;
    try {
      info = await statBig(from);
    } catch (error) {
      throw new ProteusError('PROTEUS_INJECTOR_DEVICE_UNSUPPORTED', `injector/disk: cannot stat ${from}`, {
        cause: error,
      });
    }
    const dev = info.isBlockDevice() ? info.rdev : info.dev;
    majMin = `${Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn))}:${Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn))}`;
  }
  const sys = `/sys/dev/block/${majMin}`;
  if (!(await exists(sys))) {
    throw new ProteusError(
      'PROTEUS_INJECTOR_DEVICE_UNSUPPORTED',
      `injector/disk: ${from} is on device ${majMin}, which is not a block device (overlay, tmpfs or a network filesystem?); blkio/io throttles only real disks. Pass { device: '/dev/<disk>' } or a folder on a real disk.`,
      { details: { from, majMin } },
    );
  }
  let real = await realpath(sys);
  if (await exists(`${real}/partition`)) real = dirname(real);
  const whole = (await readFile(`${real}/dev`, 'utf8')).trim();
  return { majMin: whole, name: real.slice(real.lastIndexOf('/') + 1), from };
}

function statBig(path: string) {
  return stat(path, { bigint: true });
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
