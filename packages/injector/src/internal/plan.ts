import type { InverseAction } from '../ledger.js';

/** One reversible change. `inverse` undoes it (idempotently) whether or not `apply` finished. */
export interface Step {
  name: string;
  inverse: InverseAction[];
  /** Performs the change; may return inverse operations learnt while applying (a stressor's PID). */
  apply(): Promise<InverseAction[] | undefined>;
}

/** What a backend will do for one anomaly. */
export interface Plan {
  steps: Step[];
  effect: Record<string, unknown>;
}
