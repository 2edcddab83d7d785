/** What one forged-ledger fuzz found (see fuzz-ledger.mjs). */
export interface LedgerFuzzResult {
  entries: number;
  /** Entries that recover reported in `rejected` and did nothing for. */
  reported: number;
  /** Entries recover reverted or tried to (must be 0). */
  executed: number;
  /** Commands that reached a runner (must be 0). */
  commands: number;
  /** Sandbox paths created, changed or removed (must be empty). */
  changed: string[];
  unreported: string[];
  codes: Record<string, number>;
  canaryAlive: boolean;
}

export function fuzzLedger(options: {
  recoverLedger: (
    ledgerPath: string,
    options: { runnerFor: (target: string) => unknown; cgroupRoot: string },
  ) => Promise<{ reverted: string[]; failed: unknown[]; rejected: Array<{ code: string }> }>;
  count?: number;
  seed?: number;
}): Promise<LedgerFuzzResult>;
