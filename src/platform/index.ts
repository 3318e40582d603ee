export * from './authAccounts.ts';
export { authenticate, forgetInstance, forgetUsers, type Need, type Principal } from './authenticate.ts';
export { hashPassword, PASSWORD_MIN_LENGTH, SCRYPT, verifyPassword } from './authPassword.ts';
export { type ConfigMap, MASK, maskConfiguration } from './configuration.ts';
export type { PlatformDeps } from './context.ts';
export * from './instances.ts';
export * from './organizations.ts';
export { createSession, endSession, findSession, type Session, signIn } from './sessions.ts';
export { vendorHeaders, verifyCredentials } from './verifyCredentials.ts';
