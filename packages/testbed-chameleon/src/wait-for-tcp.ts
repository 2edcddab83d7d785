import { connect } from 'node:net';
import { ProteusError, sleep } from '@proteus-wf/core';

/**
 * Waits until a TCP port accepts connections (bare metal is ACTIVE before sshd listens).
 * @example await waitForTcp('129.114.0.10', 22, { timeoutMs: 20 * 60_000, intervalMs: 5000 })
 * @throws ProteusError PROTEUS_CHAMELEON_SSH_TIMEOUT
 */
export async function waitForTcp(
  host: string,
  port: number,
  options: { timeoutMs: number; intervalMs: number; signal?: AbortSignal },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await probe(host, port, Math.max(50, Math.min(5_000, options.intervalMs * 2)))) return;
    if (Date.now() >= deadline) {
      throw new ProteusError(
        'PROTEUS_CHAMELEON_SSH_TIMEOUT',
        `testbed-chameleon/waitForTcp: ${host}:${port} did not accept connections within ${options.timeoutMs} ms. ` +
          'Check the server console log in the dashboard and the security group.',
        { details: { host, port } },
      );
    }
    await sleep(options.intervalMs, { signal: options.signal, where: 'testbed-chameleon/waitForTcp' });
  }
}

function probe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
