// Memory a 200 MB REST response body costs the HTTP client (issue 13 item 6: it used to add about 500 MB): peak RSS
// growth and bytes the server got to send, with the default 16 MiB cap and with the cap raised to 1 GiB (the old
// read-everything behaviour). One request per setting in this process. Prints JSON lines { name, unit, value }.
import { createServer } from 'node:http';
import { loadavg } from 'node:os';
import { createHttpClient, createRedactor, createRng } from '@proteus-wf/core';

const TOTAL = 200 * 1024 * 1024;
for (const [label, maxBodyBytes] of [
  ['default-cap', undefined],
  ['uncapped-1GiB', 1024 * 1024 * 1024],
]) {
  let written = 0;
  const server = createServer((_req, res) => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    res.writeHead(200);
    const pump = () => {
      while (written < TOTAL && !res.destroyed) {
        written += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (written >= TOTAL) res.end();
    };
    pump();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const http = createHttpClient({
    scope: { prefix: 'BENCH', where: 'bench' },
    rng: createRng(1),
    redactor: createRedactor(),
    ...(maxBodyBytes ? { maxBodyBytes } : {}),
  });
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const url = `http://127.0.0.1:${server.address().port}/body`;
  let outcome = 'read';
  await http.request({ method: 'GET', url, idempotent: false }).catch((error) => {
    outcome = error.code;
  });
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  const extra = { outcome, loadavg: loadavg() };
  console.log(
    JSON.stringify({
      name: `core/http-body-200MB/${label}/rss-growth`,
      unit: 'MiB',
      value: +((peak - before) / 2 ** 20).toFixed(1),
      ...extra,
    }),
  );
  console.log(
    JSON.stringify({
      name: `core/http-body-200MB/${label}/server-sent`,
      unit: 'MiB',
      value: +(written / 2 ** 20).toFixed(1),
      ...extra,
    }),
  );
}
