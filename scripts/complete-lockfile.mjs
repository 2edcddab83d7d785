#!/usr/bin/env node
// Records other platforms' optional binaries (turbo, esbuild, biome, rollup, ...) in package-lock.json.
//
// Why: the registry mirror these machines use answers 404 for packages built for other platforms, so `npm install`
// leaves them out of the lockfile and `npm ci` then refuses the lockfile as "out of sync" ("Missing: @turbo/darwin-64").
// An entry with `os`/`cpu` lets `npm ci` see the lockfile as complete and skip the package on this platform, exactly
// as it does with a lockfile written against the public registry. Runs as the root `postinstall`; writes only when
// something is missing, so `npm ci` leaves the file untouched.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const lockPath = join(root, 'package-lock.json');
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const packages = lock.packages ?? {};

const OS = {
  darwin: 'darwin',
  win32: 'win32',
  windows: 'win32',
  linux: 'linux',
  android: 'android',
  freebsd: 'freebsd',
  openbsd: 'openbsd',
  netbsd: 'netbsd',
  sunos: 'sunos',
  aix: 'aix',
  openharmony: 'openharmony',
  cygwin: 'cygwin',
};
const CPU = {
  x64: 'x64',
  64: 'x64',
  amd64: 'x64',
  arm64: 'arm64',
  aarch64: 'arm64',
  arm: 'arm',
  ia32: 'ia32',
  32: 'ia32',
  loong64: 'loong64',
  ppc64: 'ppc64',
  riscv64: 'riscv64',
  s390x: 's390x',
  mips64el: 'mips64el',
  wasm32: 'wasm32',
};

/** Reads os/cpu/libc from a platform package's name, e.g. `@rollup/rollup-linux-arm64-musl`. */
function platformOf(name) {
  const tokens = name.split('/').pop().split('-');
  const os = tokens.map((t) => OS[t]).find(Boolean);
  const cpu = tokens.map((t) => CPU[t]).find(Boolean);
  const libc = tokens.includes('musl')
    ? 'musl'
    : tokens.includes('gnu') || tokens.includes('gnueabihf')
      ? 'glibc'
      : undefined;
  return { os, cpu, libc };
}

/** Where npm would find `dependency` when required from the package at `location` (node_modules lookup). */
function resolveFrom(location, dependency) {
  const parts = location.split('/node_modules/');
  for (let depth = parts.length; depth >= 0; depth--) {
    const base = parts.slice(0, depth).join('/node_modules/');
    const candidate = base ? `${base}/node_modules/${dependency}` : `node_modules/${dependency}`;
    if (packages[candidate]) return candidate;
  }
  return undefined;
}

let added = 0;
for (const [location, entry] of Object.entries(packages)) {
  for (const [dependency, range] of Object.entries(entry.optionalDependencies ?? {})) {
    if (resolveFrom(location, dependency)) continue;
    const { os, cpu, libc } = platformOf(dependency);
    if (!os && !cpu) continue; // not a platform binary: a real omission that `npm install` must fix
    const target = location ? `${location}/node_modules/${dependency}` : `node_modules/${dependency}`;
    const hoisted = `node_modules/${dependency}`;
    const key = location.startsWith('node_modules/') && !packages[hoisted] ? hoisted : target;
    // Keys in npm's own order (version first, then alphabetical), so a later `npm install` rewrites nothing.
    packages[key] = {
      version: range.replace(/^[\^~=]/, ''),
      ...(cpu ? { cpu: [cpu] } : {}),
      ...(entry.dev ? { dev: true } : {}),
      ...(libc ? { libc: [libc] } : {}),
      optional: true,
      ...(os ? { os: [os] } : {}),
    };
    added++;
  }
}

if (added > 0) {
  lock.packages = Object.fromEntries(
    Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
  );
  const temporary = `${lockPath}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(lock, null, 2)}\n`);
  renameSync(temporary, lockPath);
  process.stderr.write(`complete-lockfile: recorded ${added} optional platform packages in package-lock.json\n`);
}
