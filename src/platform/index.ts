export { authenticate, forgetInstance, type Need, type Principal } from './authenticate.ts';
export { type ConfigMap, MASK, maskConfiguration } from './configuration.ts';
export type { PlatformDeps } from './context.ts';
export * from './instances.ts';
export * from './organizations.ts';
export { vendorHeaders, verifyCredentials } from './verifyCredentials.ts';
