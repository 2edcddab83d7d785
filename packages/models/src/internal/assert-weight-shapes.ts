import { ProteusError } from '@proteus-wf/core';

/**
 * Checks that `weights` hold exactly the tensors of `expected` (name and shape), collecting every problem.
 * @throws ProteusError PROTEUS_MODELS_INVALID_WEIGHTS listing every missing, extra or mis-shaped tensor in `details`
 */
export function assertWeightShapes(
  expected: readonly [string, number[]][],
  weights: Readonly<Record<string, { shape: readonly number[]; data: ArrayLike<number> }>>,
  where: string,
  specName: string,
): void {
  const problems: string[] = [];
  for (const [name, shape] of expected) {
    const w = weights[name];
    if (!w) problems.push(`missing ${name} [${shape.join(',')}]`);
    else if (w.shape.join(',') !== shape.join(',') || w.data.length !== shape.reduce((p, d) => p * d, 1)) {
      problems.push(
        `${name} has shape [${w.shape.join(',')}] (${w.data.length} values), expected [${shape.join(',')}]`,
      );
    }
  }
  for (const name of Object.keys(weights)) if (!expected.some(([n]) => n === name)) problems.push(`unexpected ${name}`);
  if (problems.length > 0) {
    throw new ProteusError(
      'PROTEUS_MODELS_INVALID_WEIGHTS',
      `models/${where}: weights do not match the ${specName}: ${problems.join('; ')}`,
      { details: problems },
    );
  }
}
