#!/usr/bin/env node
// Ship what you test: pack every publishable package, lint the tarballs (publint, attw), install them into an empty
// project outside the workspace (no .npmrc of ours), and there run the built `proteus` binary and each package
// README's example as a user would. Run by .ci/run after `npm test`; `node scripts/pack-smoke.mjs [--no-build]`.
//
// Needs ../shared/datasets for `dataset inspect`, `train` and the examples that read traces: when absent those steps
// are skipped with one loud line, and the run fails instead when PROTEUS_REQUIRE_DATASETS=1.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkReadmeExamples, readmeExamples } from './check-readme-examples.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const datasetsRoot = resolve(root, '..', 'shared', 'datasets');
const hasDatasets = existsSync(datasetsRoot);
const requireDatasets = process.env.PROTEUS_REQUIRE_DATASETS === '1';
const keep = process.argv.includes('--keep');
const bin = (name) => join(root, 'node_modules', '.bin', name);

const failures = [];
const started = Date.now();

function log(line) {
  process.stderr.write(`pack-smoke: ${line}\n`);
}

/** Runs one command; records a failure (with the output's tail) unless `expect` accepts the result. */
function check(label, command, args, { cwd, env, timeoutMs = 300_000, expect } = {}) {
  const t0 = Date.now();
  const result = spawnSync(command, args, {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  let problem = result.error?.message ?? (result.status === 0 ? undefined : `exit ${result.status ?? result.signal}`);
  if (!problem && expect) {
    try {
      problem = expect(result.stdout, result.stderr) || undefined;
    } catch (error) {
      problem = `output check threw: ${error.message}`;
    }
  }
  if (problem) {
    const tail = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
    failures.push(label);
    log(
      `FAIL ${label} (${seconds} s): ${problem}\n  $ ${[command, ...args].join(' ')}\n${tail.replace(/^/gm, '  | ')}`,
    );
  } else {
    log(`ok   ${label} (${seconds} s)`);
  }
  return result;
}

function publishablePackages() {
  return readdirSync(join(root, 'packages'))
    .map((dir) => join(root, 'packages', dir))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
    .filter(({ manifest }) => manifest.private !== true);
}

log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (timings below are on this machine's load)`,
);

const drift = checkReadmeExamples(root);
for (const problem of drift) failures.push(`readme example: ${problem}`);
log(drift.length === 0 ? 'ok   README examples match their files' : `FAIL README examples:\n  ${drift.join('\n  ')}`);

if (!process.argv.includes('--no-build')) {
  check('build', bin('turbo'), ['run', 'build', '--output-logs=errors-only'], { cwd: root, timeoutMs: 900_000 });
}

const packages = publishablePackages();
const work = mkdtempSync(join(tmpdir(), 'proteus-pack-smoke-'));
const tarballDir = join(work, 'tarballs');
mkdirSync(tarballDir);
const rootLicense = readFileSync(join(root, 'LICENSE'), 'utf8');

// npm pack runs from the package folder; --json tells the tarball's name and contents.
const tarballs = [];
for (const { dir, manifest } of packages) {
  const packed = check(`npm pack ${manifest.name}`, 'npm', ['pack', '--json', '--pack-destination', tarballDir], {
    cwd: dir,
    expect: (stdout) => {
      const [info] = JSON.parse(stdout);
      const files = info.files.map((f) => f.path);
      for (const required of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts']) {
        if (!files.includes(required)) return `tarball lacks ${required}`;
      }
      if (readFileSync(join(dir, 'LICENSE'), 'utf8') !== rootLicense) return 'LICENSE differs from the root LICENSE';
      for (const field of ['repository', 'homepage', 'bugs'])
        if (!manifest[field]) return `package.json lacks "${field}"`;
      tarballs.push({ name: manifest.name, file: join(tarballDir, info.filename) });
    },
  });
  if (packed.status !== 0) continue;
}

for (const { name, file } of tarballs) {
  check(`publint ${name}`, bin('publint'), ['run', file, '--strict'], { cwd: work });
  check(`attw ${name}`, bin('attw'), [file, '--profile', 'esm-only', '--format', 'ascii', '--no-color'], { cwd: work });
}

// An empty project outside the workspace, installed the way the READMEs tell users to.
const project = join(work, 'project');
mkdirSync(project);
writeFileSync(
  join(project, 'package.json'),
  `${JSON.stringify({ name: 'proteus-pack-smoke', private: true, type: 'module' }, null, 2)}\n`,
);
const userEnv = { ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_fund: 'false', npm_config_audit: 'false' };
const installed = check(
  'npm install <every tarball> (empty project)',
  'npm',
  ['install', '--no-audit', '--no-fund', ...tarballs.map((t) => t.file)],
  { cwd: project, env: userEnv, timeoutMs: 600_000 },
);

if (installed.status === 0) {
  const proteus = join(project, 'node_modules', '.bin', 'proteus');
  const cliVersion = JSON.parse(readFileSync(join(root, 'packages', 'cli', 'package.json'), 'utf8')).version;
  const run = (label, args, options = {}) => check(label, proteus, args, { cwd: project, ...options });

  run('proteus --version', ['--version'], {
    expect: (stdout) =>
      stdout.trim().includes(cliVersion) ? undefined : `expected ${cliVersion}, got "${stdout.trim()}"`,
  });
  run('proteus --help', ['--help'], {
    expect: (stdout) => (/train/.test(stdout) ? undefined : 'help lists no commands'),
  });
  run('proteus version --json', ['version', '--json'], {
    expect: (stdout) => {
      const info = JSON.parse(stdout);
      return info.proteus === cliVersion ? undefined : `proteus ${info.proteus} != ${cliVersion}`;
    },
  });

  for (const { name } of tarballs) {
    check(`require('${name}') from CommonJS`, 'node', ['-e', `require(${JSON.stringify(name)})`], {
      cwd: project,
      expect: (_stdout, stderr) =>
        /ExperimentalWarning/.test(stderr) ? 'require(esm) is still experimental' : undefined,
    });
  }

  if (!hasDatasets) {
    const line = `SKIPPED dataset inspect, train and the README examples: ${datasetsRoot} is absent`;
    if (requireDatasets) failures.push(line);
    log(`${requireDatasets ? 'FAIL' : '!!!!'} ${line}${requireDatasets ? ' (PROTEUS_REQUIRE_DATASETS=1)' : ''}`);
  } else {
    symlinkSync(datasetsRoot, join(project, 'datasets'));
    run('proteus dataset inspect', ['dataset', 'inspect', 'datasets/flowbench/1000genome.zip', '--json'], {
      expect: (stdout) => (JSON.parse(stdout).runs > 0 ? undefined : 'no runs'),
    });
    run(
      'proteus train (5 epochs)',
      [
        'train',
        '--dataset',
        'datasets/flowbench/1000genome.zip',
        '--model',
        'gcn',
        '--task',
        'graph',
        '--labels',
        'binary',
      ].concat(['--protocol', 'deployable', '--epochs', '5', '--seed', '1', '--out', 'model-gcn', '--json']),
      {
        timeoutMs: 600_000,
        expect: () => (existsSync(join(project, 'model-gcn', 'model.onnx')) ? undefined : 'no model.onnx'),
      },
    );
    for (const example of readmeExamples(root).filter((e) => !e.missing)) {
      const script = join(project, `readme-${example.packageDir}.mjs`);
      copyFileSync(example.file, script);
      check(`README example of ${example.packageName}`, 'node', [script], { cwd: project, timeoutMs: 600_000 });
    }
  }
}

// A single package with only the Proteus packages it depends on, as `npm install @proteus-wf/features` gives:
// features must not pull onnxruntime-node (288 MB, a native addon), and its README example must run there.
const features = tarballs.find((t) => t.name === '@proteus-wf/features');
if (features && hasDatasets) {
  const manifests = new Map(packages.map(({ manifest }) => [manifest.name, manifest]));
  const closure = new Set();
  const visit = (name) => {
    if (closure.has(name) || !manifests.has(name)) return;
    closure.add(name);
    for (const dependency of Object.keys(manifests.get(name).dependencies ?? {})) visit(dependency);
  };
  visit(features.name);
  const alone = join(work, 'features-alone');
  mkdirSync(alone);
  writeFileSync(join(alone, 'package.json'), `${JSON.stringify({ name: 'features-alone', private: true }, null, 2)}\n`);
  const files = tarballs.filter((t) => closure.has(t.name)).map((t) => t.file);
  const result = check(`npm install ${[...closure].join(' ')} (empty project)`, 'npm', ['install', ...files], {
    cwd: alone,
    env: userEnv,
    timeoutMs: 600_000,
    expect: () =>
      existsSync(join(alone, 'node_modules', 'onnxruntime-node')) ? 'it installed onnxruntime-node' : undefined,
  });
  if (result.status === 0) {
    symlinkSync(datasetsRoot, join(alone, 'datasets'));
    copyFileSync(join(root, 'packages', 'features', 'examples', 'readme.mjs'), join(alone, 'readme-features.mjs'));
    check('README example of @proteus-wf/features, installed alone', 'node', ['readme-features.mjs'], { cwd: alone });
  }
}

log(
  `${failures.length === 0 ? 'passed' : `${failures.length} failed`} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
if (keep || failures.length > 0) log(`kept ${work} for inspection`);
else rmSync(work, { recursive: true, force: true });
if (failures.length > 0) {
  log(`failed: ${failures.join('; ')}`);
  process.exit(1);
}
