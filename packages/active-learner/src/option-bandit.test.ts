import { describe, expect, it } from 'vitest';
import { createOptionBandit, surprise } from './option-bandit.js';

const OPTIONS = [
  { label: 'normal', anomaly: 'normal' },
  { label: 'cpu_2', anomaly: 'cpu', level: 2, reach: 'few' as const },
  { label: 'cpu_2', anomaly: 'cpu', level: 2, reach: 'many' as const },
];

describe('surprise', () => {
  it('is the class-balanced mean absolute error of the scores', () => {
    expect(surprise(Float32Array.of(0.9, 0.2), Uint8Array.of(0, 1))).toBeCloseTo((0.9 + 0.8) / 2, 6);
    expect(surprise(Float32Array.of(0.1, 0.3), Uint8Array.of(0, 0))).toBeCloseTo(0.2, 6);
  });
});

describe('createOptionBandit', () => {
  it('values an option by what its last runs taught, per expected second, with a bonus for rare options', () => {
    const bandit = createOptionBandit({ exploration: 0, costWeight: 0 });
    bandit.observe({ key: 'cpu_2@few', taught: 0.05, seconds: 100 });
    bandit.observe({ key: 'cpu_2@many', taught: 0.4, seconds: 100 });
    bandit.observe({ key: 'normal', taught: 0.1, seconds: 100 });
    const values = bandit.values(OPTIONS);
    expect(values['cpu_2@many']).toBeCloseTo(0.4, 6);
    expect(values['cpu_2@few']).toBeCloseTo(0.05, 6);
    // The same teaching at twice the cost is worth half per testbed-second.
    const costly = createOptionBandit({ exploration: 0 });
    costly.observe({ key: 'cpu_2@many', taught: 0.4, seconds: 300 });
    costly.observe({ key: 'normal', taught: 0.4, seconds: 100 });
    const perSecond = costly.values(OPTIONS);
    expect((perSecond.normal as number) / (perSecond['cpu_2@many'] as number)).toBeCloseTo(3, 6);
    // Only the last `window` runs count: an option that stopped teaching loses its value.
    const recent = createOptionBandit({ window: 2, exploration: 0, costWeight: 0 });
    for (const taught of [0.9, 0.1, 0.1]) recent.observe({ key: 'normal', taught, seconds: 1 });
    expect(recent.values(OPTIONS).normal).toBeCloseTo(0.1, 6);
  });

  it('explores: an option never run gets the largest bonus', () => {
    const bandit = createOptionBandit({ costWeight: 0 });
    for (let k = 0; k < 4; k++) bandit.observe({ key: 'cpu_2@many', taught: 0.3, seconds: 1 });
    bandit.observe({ key: 'normal', taught: 0.3, seconds: 1 });
    const values = bandit.values(OPTIONS);
    expect(values['cpu_2@few']).toBeGreaterThan(values['cpu_2@many'] as number);
    expect(values.normal).toBeGreaterThan(values['cpu_2@many'] as number);
  });

  it('saves and restores its observations, and throws PROTEUS_AL_CHECKPOINT_INVALID on a bad state', () => {
    const bandit = createOptionBandit();
    bandit.observe({ key: 'normal', taught: 0.2, seconds: 5 });
    const copy = createOptionBandit();
    copy.restore(JSON.parse(JSON.stringify(bandit.save())));
    expect(copy.values(OPTIONS)).toEqual(bandit.values(OPTIONS));
    expect(() => copy.restore([{ key: 1 }])).toThrowError(
      expect.objectContaining({ code: 'PROTEUS_AL_CHECKPOINT_INVALID' }),
    );
    expect(() => createOptionBandit({ window: 0 })).toThrowError(
      expect.objectContaining({ code: 'PROTEUS_AL_INVALID_OPTION' }),
    );
  });
});
