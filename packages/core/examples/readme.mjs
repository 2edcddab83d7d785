import { createRng, isProteusError, ProteusError, restoreRng, writeFileAtomic } from '@proteus-wf/core';

const rng = createRng(42); // seeded and resumable
const order = rng.shuffle([1, 2, 3, 4]);
const again = restoreRng(rng.save()); // continues exactly where rng is
console.log(order, rng.float() === again.float()); // [...] true
await writeFileAtomic('out/state.json', JSON.stringify({ order })); // readers see the old file or the new one, never half

try {
  throw new ProteusError('PROTEUS_MYTOOL_INPUT_INVALID', 'mytool: --runs must be a positive integer (got -1)');
} catch (error) {
  if (!isProteusError(error, 'PROTEUS_MYTOOL_INPUT_INVALID')) throw error;
  console.log(error.code); // one check that works across copies of @proteus-wf/core
}
