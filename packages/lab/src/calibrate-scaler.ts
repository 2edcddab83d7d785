import { fitScaler, type Scaler } from '@proteus-wf/features';
import type { CollectedRunSet } from './collect-run-set.js';
import type { LabContext } from './internal/lab-context.js';

/**
 * Fits the lab's feature scaler on the calibration runs only (never trained or tested on), so neither the test set
 * nor the learner's runs leak into the scaling.
 */
export async function calibrateScaler(lab: LabContext, calibration: CollectedRunSet): Promise<Scaler> {
  const loaded = await lab.caches.calibration.load(calibration.localIds);
  return fitScaler(loaded.set, {
    kind: lab.scalerKind,
    runs: calibration.localIds.map((id) => loaded.runIndex.get(id) as number),
  });
}
