import { describe, expect, it } from 'vitest';
import { inferJobType } from './infer-job-type.js';

describe('inferJobType', () => {
  it.each([
    ['create_dir_montage_0_insidecontainer', 'auxiliary', 'create_dir'],
    ['cleanup_1000genome', 'auxiliary', 'cleanup'],
    ['register_condorpool_0_0', 'auxiliary', 'register'],
    ['stage_in_local_condorpool_0_0', 'transfer', 'stage_in'],
    ['stage_inter_local_xgboost_model_ID0000013', 'transfer', 'stage_inter'],
    ['pegasus-plan_ID0000016', 'subwf', 'pegasus-plan'],
    ['merge_mrtV2_PID1_ID1', 'compute', 'mrtV2'],
    ['individuals_merge_ID0000102', 'compute', 'individuals_merge'],
    ['mDiffFit_ID0000123', 'compute', 'mDiffFit'],
    ['eda', 'compute', 'eda'],
    // The names Poseidon-X's classifier (testbeds.md §1.7 step 6) was checked on when it lived in the testbeds.
    ['stage_in_local_0', 'transfer', 'stage_in'],
    ['cleanup_x', 'auxiliary', 'cleanup'],
    ['pegasus-plan_sub', 'subwf', 'pegasus-plan'],
    ['individuals_ID01', 'compute', 'individuals'],
  ])('maps %s to %s / %s', (name, type, transformation) => {
    expect(inferJobType(name)).toEqual({ type, transformation });
  });
});
