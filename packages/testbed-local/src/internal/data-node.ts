import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** The files of one run: produced files go to `dataDir`; raw inputs are served from where the catalog says. */
export interface DataNodeRun {
  dataDir: string;
  rawInputs: ReadonlyMap<string, string>;
}

/** A local HTTP "data node" for stage-in (GET) and stage-out (PUT) over real sockets. */
export interface DataNode {
  /** `http://<host>:<port>` as workers reach it. */
  readonly url: string;
  addRun(runId: string, run: DataNodeRun): void;
  removeRun(runId: string): void;
  /** Size of a file of a run, or undefined when absent. */
  sizeOf(runId: string, lfn: string): Promise<number | undefined>;
  close(): Promise<void>;
}

/** Starts the data node on `host` (an ephemeral port). */
export async function startDataNode(host: string): Promise<DataNode> {
  const runs = new Map<string, DataNodeRun>();
  const locate = async (runId: string, lfn: string): Promise<string | undefined> => {
    const run = runs.get(runId);
    if (!run) return undefined;
    const produced = join(run.dataDir, lfn);
    if (await isFile(produced)) return produced;
    const raw = run.rawInputs.get(lfn);
    return raw !== undefined && (await isFile(raw)) ? raw : undefined;
  };
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const match = /^\/runs\/([^/]+)\/files\/([^/]+)$/.exec(request.url ?? '');
    const runId = match ? decodeURIComponent(match[1] as string) : '';
    const lfn = match ? decodeURIComponent(match[2] as string) : '';
    const run = runs.get(runId);
    if (!match || !run || !isSafeLfn(lfn)) {
      response.writeHead(404).end();
      return;
    }
    if (request.method === 'GET') {
      const path = await locate(runId, lfn);
      if (!path) {
        response.writeHead(404).end();
        return;
      }
      const size = (await stat(path)).size;
      response.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
      await pipeline(createReadStream(path), response);
      return;
    }
    if (request.method === 'PUT') {
      await mkdir(run.dataDir, { recursive: true });
      const target = join(run.dataDir, lfn);
      const partial = `${target}.part-${process.pid}-${Math.floor(performance.now() * 1000)}`;
      try {
        await pipeline(request, createWriteStream(partial));
        await rename(partial, target);
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
      response.writeHead(201).end();
      return;
    }
    response.writeHead(405).end();
  };
  const server: Server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    addRun: (runId, run) => runs.set(runId, run),
    removeRun: (runId) => runs.delete(runId),
    sizeOf: async (runId, lfn) => {
      const path = await locate(runId, lfn);
      return path ? (await stat(path)).size : undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A logical file name the data node accepts: one path segment, no NUL. */
export function isSafeLfn(lfn: string): boolean {
  return lfn.length > 0 && lfn !== '.' && lfn !== '..' && !/[/\\\0]/.test(lfn);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * The transfer client, run as `node -e TRANSFER_SCRIPT <get|put> <baseUrl> <lfn> <path> [<lfn> <path>...]` inside the
 * worker (its cgroup and namespace), so CPU, disk and network anomalies act on it. Prints the bytes moved.
 */
export const TRANSFER_SCRIPT = `
const http = require('node:http');
const fs = require('node:fs');
const { pipeline } = require('node:stream/promises');
const [mode, base, ...pairs] = process.argv.slice(1);
async function one(lfn, path) {
  const url = base + '/files/' + encodeURIComponent(lfn);
  if (mode === 'get') {
    const response = await new Promise((resolve, reject) => http.get(url, resolve).on('error', reject));
    if (response.statusCode !== 200) { response.resume(); throw new Error('GET ' + lfn + ': HTTP ' + response.statusCode); }
    let bytes = 0;
    response.on('data', (chunk) => { bytes += chunk.length; });
    await pipeline(response, fs.createWriteStream(path));
    return bytes;
  }
  const size = fs.statSync(path).size;
  const request = http.request(url, { method: 'PUT', headers: { 'content-length': size } });
  const done = new Promise((resolve, reject) => request.on('response', resolve).on('error', reject));
  await pipeline(fs.createReadStream(path), request);
  const response = await done;
  response.resume();
  if (response.statusCode !== 201) throw new Error('PUT ' + lfn + ': HTTP ' + response.statusCode);
  return size;
}
(async () => {
  let total = 0;
  for (let i = 0; i < pairs.length; i += 2) total += await one(pairs[i], pairs[i + 1]);
  process.stdout.write(JSON.stringify({ bytes: total }));
})().catch((error) => { process.stderr.write(String(error && error.message || error) + '\\n'); process.exit(1); });
`;
