export type {
  ChameleonApi,
  ExtraRoute,
  FloatingIpInfo,
  LeaseExtras,
  LeaseInfo,
  ServerInfo,
  WaitOptions,
} from './chameleon-api.js';
export { createChameleonApi, formatBlazarTime } from './chameleon-api.js';
export type {
  ChameleonCredentials,
  ChameleonStatus,
  ChameleonTestbed,
  ChameleonTestbedOptions,
} from './chameleon-testbed.js';
export { CHAMELEON_DEFAULTS, createChameleonTestbed } from './chameleon-testbed.js';
export type { KeystoneSession, KeystoneSessionOptions } from './keystone-session.js';
export { createKeystoneSession } from './keystone-session.js';
export type { ChameleonPlan, PlannedApiCall } from './plan-chameleon.js';
export { planChameleonTestbed } from './plan-chameleon.js';
export type { ChameleonTopology } from './topology.js';
export { loadChameleonTopology, parseChameleonTopology, serverNamesOf } from './topology.js';
export { waitForTcp } from './wait-for-tcp.js';
