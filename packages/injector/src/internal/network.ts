import type { CommandRunner } from '@proteus-wf/core';
import { isProteusError, ProteusError } from '@proteus-wf/core';
import type { NetworkAnomalySpec } from '../anomaly-spec.js';
import type { Plan, Step } from './plan.js';

/** nftables table name of one anomaly: deleting the table is the whole revert. */
export function nftTableName(id: string): string {
  return `proteus_${id.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** Names of the target's interfaces except `lo` (`ip -o link show`). */
export async function listInterfaces(runner: CommandRunner, signal?: AbortSignal): Promise<string[]> {
  const { stdout } = await runner.run('ip', ['-o', 'link', 'show'], signal ? { signal } : {});
  return stdout
    .split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name !== 'lo');
}

/** True when `program --version`-style probing finds it on the target. */
export async function hasProgram(runner: CommandRunner, file: string, args: string[]): Promise<boolean> {
  try {
    const result = await runner.run(file, args, { allowFailure: true, timeoutMs: 10_000 });
    return result.exitCode === 0;
  } catch (error) {
    if (isProteusError(error, 'PROTEUS_INJECTOR_COMMAND_NOT_FOUND')) return false;
    throw error;
  }
}

/**
 * Plans a network anomaly: loss through an nftables `numgen random` drop on the input and forward hooks (netem when
 * nft is absent); duplicate/corrupt/delay/jitter through netem; rate through tbf (or netem's own rate when netem is
 * used anyway).
 */
export async function planNetwork(
  runner: CommandRunner,
  id: string,
  spec: NetworkAnomalySpec,
  signal?: AbortSignal,
): Promise<Plan> {
  const steps: Step[] = [];
  const mechanisms: string[] = [];
  const loss = spec.lossPercent ?? 0;
  const useNft = loss > 0 && (await hasProgram(runner, 'nft', ['--version']));
  const netemLoss = loss > 0 && !useNft;
  const needsNetem = netemLoss || !!spec.duplicatePercent || !!spec.corruptPercent || !!spec.delayMs;
  const interfaces =
    needsNetem || spec.rateMbit ? (spec.interface ? [spec.interface] : await listInterfaces(runner, signal)) : [];
  if ((needsNetem || spec.rateMbit) && interfaces.length === 0) {
    throw new ProteusError(
      'PROTEUS_INJECTOR_TARGET_MISSING',
      `injector/network: target ${runner.target} has no interface besides lo to shape. Pass { interface } or add a link.`,
    );
  }
  if (useNft) {
    const table = nftTableName(id);
    const match = spec.interface ? `iifname "${spec.interface}"` : 'iifname != "lo"';
    const threshold = Math.round(loss * 100);
    const rule = `${match} numgen random mod 10000 < ${threshold} counter drop`;
    // Input and forward: a packet takes one of the two hooks, so a router and an end host both lose `loss` percent.
    // Output would make sendto() fail with EPERM instead of losing packets silently.
    const script = [
      `table inet ${table} {`,
      `  chain input { type filter hook input priority -150; policy accept; ${rule}; }`,
      `  chain forward { type filter hook forward priority -150; policy accept; ${rule}; }`,
      '}',
      '',
    ].join('\n');
    steps.push({
      name: `nft table inet ${table}`,
      inverse: [{ kind: 'nft-table', table }],
      apply: async () => {
        await runner.run('nft', ['-f', '-'], { input: script, ...(signal ? { signal } : {}) });
        return undefined;
      },
    });
    mechanisms.push('nft-loss');
  }
  for (const device of interfaces) {
    await assertDefaultRootQdisc(runner, device, signal);
    let args: string[];
    if (needsNetem) {
      args = ['qdisc', 'add', 'dev', device, 'root', 'netem'];
      if (spec.delayMs) args.push('delay', `${spec.delayMs}ms`, ...(spec.jitterMs ? [`${spec.jitterMs}ms`] : []));
      if (netemLoss) args.push('loss', `${loss}%`);
      if (spec.duplicatePercent) args.push('duplicate', `${spec.duplicatePercent}%`);
      if (spec.corruptPercent) args.push('corrupt', `${spec.corruptPercent}%`);
      if (spec.rateMbit) args.push('rate', `${Math.round(spec.rateMbit * 1000)}kbit`);
    } else {
      const bytesPerSecond = (spec.rateMbit ?? 0) * 125_000;
      // A bucket of ~10 ms of traffic (at least two full frames) keeps the cap tight yet reachable at HZ=100.
      const burst = Math.max(Math.ceil(bytesPerSecond / 100), 3028);
      args = ['qdisc', 'add', 'dev', device, 'root', 'tbf', 'rate', `${Math.round((spec.rateMbit ?? 0) * 1000)}kbit`];
      args.push('burst', String(burst), 'latency', '50ms');
    }
    steps.push({
      name: `tc ${args.join(' ')}`,
      inverse: [{ kind: 'qdisc', device, qdisc: needsNetem ? 'netem' : 'tbf' }],
      apply: async () => {
        try {
          await runner.run('tc', args, signal ? { signal } : {});
        } catch (error) {
          if (
            isProteusError(error, 'PROTEUS_INJECTOR_COMMAND_FAILED') &&
            /qdisc kind is unknown/.test(String(error.message))
          ) {
            throw new ProteusError(
              'PROTEUS_INJECTOR_FACILITY_MISSING',
              `injector/network: the kernel of ${runner.target} has no ${needsNetem ? 'sch_netem' : 'sch_tbf'} qdisc. Run modprobe ${needsNetem ? 'sch_netem' : 'sch_tbf'} (Debian/Ubuntu: install linux-modules-extra-$(uname -r)), or drop delay/duplicate/corrupt from the spec.`,
              { cause: error },
            );
          }
          throw error;
        }
        return undefined;
      },
    });
  }
  if (interfaces.length > 0) mechanisms.push(needsNetem ? 'netem' : 'tbf');
  return { steps, effect: { mechanisms, interfaces, ...(useNft ? { nftTable: nftTableName(id) } : {}) } };
}

/** Refuses to replace a root qdisc someone configured (handle other than `0:`): revert would delete theirs. */
async function assertDefaultRootQdisc(runner: CommandRunner, device: string, signal?: AbortSignal): Promise<void> {
  const { stdout } = await runner.run('tc', ['qdisc', 'show', 'dev', device, 'root'], signal ? { signal } : {});
  const match = /^qdisc (\S+) (\S+)/.exec(stdout.trim());
  if (match && match[2] !== '0:') {
    throw new ProteusError(
      'PROTEUS_INJECTOR_CONFLICT',
      `injector/network: ${runner.target} interface ${device} already has a configured root qdisc (${match[1]} ${match[2]}). Remove it (tc qdisc del dev ${device} root) or revert the anomaly that set it.`,
      { details: { device, qdisc: match[1], handle: match[2] } },
    );
  }
}
