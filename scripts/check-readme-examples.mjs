#!/usr/bin/env node
// Each publishable package's README shows its usage example from a file that CI runs as a plain .mjs
// (scripts/pack-smoke.mjs, against the installed tarballs). The README marks the block with
// `<!-- example: examples/<file>.mjs -->` on the line before a ```js fence; this check fails when the block and the
// file differ, so the README cannot drift from what is run. `node scripts/check-readme-examples.mjs` prints the problems;
// `--write` copies each file into its README block.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MARKER = /^<!-- example: (\S+\.mjs) -->\n```js\n([\s\S]*?)^```$/gm;

/** The examples the READMEs of the publishable packages include: `{ packageName, packageDir, file, block }`. */
export function readmeExamples(root) {
  const examples = [];
  for (const packageDir of readdirSync(join(root, 'packages'))) {
    const dir = join(root, 'packages', packageDir);
    const manifestPath = join(dir, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    if (manifest.private === true) continue;
    const readmePath = join(dir, 'README.md');
    const readme = existsSync(readmePath) ? readFileSync(readmePath, 'utf8') : '';
    for (const match of readme.matchAll(MARKER)) {
      examples.push({ packageName: manifest.name, packageDir, file: join(dir, match[1]), block: match[2] });
    }
    if (!readme.includes('<!-- example: ')) examples.push({ packageName: manifest.name, packageDir, missing: true });
  }
  return examples;
}

/** Problems found: a package without an example, a block that differs from its file, a file that is not there. */
export function checkReadmeExamples(root) {
  const problems = [];
  for (const example of readmeExamples(root)) {
    const where = `packages/${example.packageDir}/README.md`;
    if (example.missing) {
      problems.push(`${where} has no \`<!-- example: examples/<name>.mjs -->\` block`);
    } else if (!existsSync(example.file)) {
      problems.push(`${where} includes ${example.file}, which does not exist`);
    } else if (readFileSync(example.file, 'utf8') !== example.block) {
      problems.push(`${where}: the block differs from ${example.file}; copy the file into the README`);
    }
  }
  return problems;
}

/** Copies each example file into its README block. */
export function writeReadmeExamples(root) {
  for (const packageDir of readdirSync(join(root, 'packages'))) {
    const readmePath = join(root, 'packages', packageDir, 'README.md');
    if (!existsSync(readmePath)) continue;
    const readme = readFileSync(readmePath, 'utf8');
    const updated = readme.replace(MARKER, (block, file) => {
      const path = join(root, 'packages', packageDir, file);
      return existsSync(path) ? `<!-- example: ${file} -->\n\`\`\`js\n${readFileSync(path, 'utf8')}\`\`\`` : block;
    });
    if (updated !== readme) writeFileSync(readmePath, updated);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  if (process.argv.includes('--write')) writeReadmeExamples(root);
  const problems = checkReadmeExamples(root);
  for (const problem of problems) process.stderr.write(`check-readme-examples: ${problem}\n`);
  process.exit(problems.length === 0 ? 0 : 1);
}
