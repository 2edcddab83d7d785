import type { PoolPlanInput } from '../src/plan-pool-deployment.js';

/** A pool of every role for the deployment plan tests: submit (central manager), data node and two workers. */
export const poolInput: PoolPlanInput = {
  submit: { name: 'submit', address: '10.0.0.2', cores: 4, memoryMb: 8192 },
  data: { name: 'data', address: '10.0.0.3', cores: 2, memoryMb: 4096 },
  workers: [
    { name: 'w1', address: '10.0.0.4', cores: 8, memoryMb: 16384 },
    { name: 'w2', address: '10.0.0.5', cores: 16, memoryMb: 32768 },
  ],
  networkInterface: '10.0.0.*',
};
