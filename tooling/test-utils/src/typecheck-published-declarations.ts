import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './paths.js';

/** What {@link typecheckPublishedDeclarations} builds and checks. */
export interface PublishedDeclarationsCheck {
  /** The workspace packages whose declarations the consumer sees, by folder under `packages/`, e.g. `['models', 'onnx-train']`; the first is the one under test. */
  packages: string[];
  /** The consumer's source: imports from the packages as a user would write them. */
  consumer: string;
}

/** The outcome: bare specifiers the first package's declarations import, and `tsc`'s output (empty when it typechecks). */
export interface PublishedDeclarationsResult {
  externalImports: string[];
  tscOutput: string;
}

const bin = (name: string) => join(repoRoot, 'node_modules', '.bin', name);

/**
 * Builds the packages' declarations with their own `tsup --dts-only` (as `npm run build` does) and typechecks
 * `consumer` against them in a strict Node-only project: no DOM lib and no `skipLibCheck`, so a type that leaks from
 * a dependency's declarations (onnxruntime-common needs DOM types) fails the check.
 * @example const { tscOutput } = await typecheckPublishedDeclarations({ packages: ['core'], consumer: "import '@proteus-wf/core';" })
 */
export async function typecheckPublishedDeclarations(
  check: PublishedDeclarationsCheck,
): Promise<PublishedDeclarationsResult> {
  const dir = await mkdtemp(join(tmpdir(), `proteus-${check.packages[0]}-dts-`));
  try {
    const paths: Record<string, string[]> = {};
    for (const name of check.packages) {
      await promisify(execFile)(bin('tsup'), ['--dts-only', '--out-dir', join(dir, name)], {
        cwd: join(repoRoot, 'packages', name),
      });
      paths[`@proteus-wf/${name}`] = [`./${name}/index.d.ts`];
    }
    const declarations = await readFile(join(dir, check.packages[0] as string, 'index.d.ts'), 'utf8');
    const externalImports = [...declarations.matchAll(/from '([^']+)'/g)]
      .map((match) => match[1] as string)
      .filter((specifier) => !/^(@proteus-wf\/|node:)/.test(specifier));

    await symlink(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          customConditions: ['@proteus-wf/source'],
          strict: true,
          types: ['node'],
          skipLibCheck: false,
          noEmit: true,
          paths,
        },
        files: ['consumer.ts'],
      }),
    );
    await writeFile(join(dir, 'consumer.ts'), check.consumer);
    const tscOutput = await promisify(execFile)(bin('tsc'), ['-p', dir]).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    return { externalImports, tscOutput };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
