import { describe, expect, it } from 'vitest';
import { cohenKappa, decideStop, defineStoppingRule } from './stopping-rule.js';

describe('cohenKappa', () => {
  it('is 1 for identical flags, 0 at chance and negative below it', () => {
    expect(cohenKappa(Uint8Array.of(1, 0, 1, 0), Uint8Array.of(1, 0, 1, 0))).toBe(1);
    expect(cohenKappa(Uint8Array.of(1, 0, 1, 0), Uint8Array.of(1, 0, 0, 0))).toBeCloseTo(0.5, 12);
    expect(cohenKappa(Uint8Array.of(1, 0), Uint8Array.of(0, 1))).toBe(-1);
    expect(cohenKappa(Uint8Array.of(0, 0), Uint8Array.of(0, 0))).toBe(1);
  });

  it('throws PROTEUS_AL_INVALID_OPTION for labelings of different lengths', () => {
    expect(() => cohenKappa(Uint8Array.of(1), Uint8Array.of(1, 0))).toThrow(
      expect.objectContaining({ code: 'PROTEUS_AL_INVALID_OPTION' }),
    );
  });
});

describe('decideStop', () => {
  const rule = defineStoppingRule({ agreement: 0.9, window: 2, minRuns: 4 });

  it('stops after `window` stable iterations once enough runs are labelled, and says why', () => {
    let stable = 0;
    const verdicts = [null, 0.95, 0.95, 0.8, 0.95, 0.96].map((agreement, i) => {
      const d = decideStop(rule, { agreement, stable, runs: 2 * (i + 1), stopSetRuns: 32 });
      stable = d.stable;
      return d.stop;
    });
    expect(verdicts).toEqual([false, false, true, false, false, true]);
    expect(decideStop(rule, { agreement: 1, stable: 5, runs: 12, stopSetRuns: 32 }).reason).toMatch(
      /stable predictions/,
    );
  });

  it('waits for minRuns and never stops under the rule `never`', () => {
    expect(decideStop(rule, { agreement: 1, stable: 5, runs: 2, stopSetRuns: 32 }).stop).toBe(false);
    expect(
      decideStop(defineStoppingRule({ rule: 'never' }), { agreement: 1, stable: 9, runs: 99, stopSetRuns: 1 }).stop,
    ).toBe(false);
  });

  it('throws PROTEUS_AL_INVALID_OPTION for an unknown rule or an agreement outside (0, 1]', () => {
    for (const bad of [{ rule: 'soon' }, { agreement: 0 }, { window: 0 }, { onStop: 'later' }]) {
      expect(() => defineStoppingRule(bad as never)).toThrow(
        expect.objectContaining({ code: 'PROTEUS_AL_INVALID_OPTION' }),
      );
    }
  });
});
