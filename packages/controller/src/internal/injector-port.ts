import { type AnomalySpec, readLedger } from '@proteus-wf/injector';
import type { AnomalyWindow } from '../label-jobs.js';

/** What the controller needs of an applied anomaly: a way to undo it. */
export interface AnomalyHandle {
  revert(): Promise<unknown>;
}

/**
 * The part of `@proteus-wf/injector`'s `Injector` the controller uses, so any injector (or a wrapper around one)
 * can drive a campaign.
 */
export interface CampaignInjector {
  /** The write-ahead ledger, read back to label jobs. */
  readonly ledgerPath?: string;
  apply(
    target: string,
    spec: AnomalySpec,
    options: { runId: string; worker: string; durationSec?: number; signal?: AbortSignal },
  ): Promise<AnomalyHandle>;
  /** Reverts whatever a crashed process left applied. */
  recover(): Promise<unknown>;
}

/** The anomaly windows of one run from the ledger, in epoch seconds; the label is the spec's dataset name. */
export async function readAnomalyWindows(ledgerPath: string, runId: string): Promise<AnomalyWindow[]> {
  const windows: AnomalyWindow[] = [];
  for (const entry of await readLedger(ledgerPath)) {
    if (entry.runId !== runId || entry.worker === undefined || entry.spec.kind === 'none') continue;
    // A pending entry (crash mid-apply) may have acted already: its window opens at the intent.
    const appliedAt = entry.window.appliedAt ?? entry.window.intentAt;
    const window: AnomalyWindow = { worker: entry.worker, anomaly: entry.spec.label ?? entry.spec.kind, appliedAt };
    if (entry.window.revertedAt !== undefined) window.revertedAt = entry.window.revertedAt;
    windows.push(window);
  }
  return windows;
}
