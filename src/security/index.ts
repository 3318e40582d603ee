export { type AuthHeaderResult, type AuthParts, parseAuthHeader } from './authHeader.ts';
export { createSecretBox, type SecretBox } from './envelope.ts';
export { decodeMasterKey, loadMasterKey } from './masterKey.ts';
export {
  checkOutboundUrl,
  guardedConnector,
  guardedLookup,
  isHostAllowed,
  isPrivateAddress,
  type OutboundPolicy,
  parseAllowList,
  type UrlCheck,
} from './outboundPolicy.ts';
export { constantTimeEqual, generateSecret, hashSecret } from './secrets.ts';
