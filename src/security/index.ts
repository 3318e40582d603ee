export { type AuthHeaderResult, type AuthParts, parseAuthHeader } from './authHeader.ts';
export { createSecretBox, type SecretBox, sealedPrefix, UnknownKeyError } from './envelope.ts';
export {
  type KeyContext,
  keyContext,
  keyReadiness,
  MasterKeyError,
  openSecretBox,
  type RotationReport,
  resealUnderCurrentKey,
  rotateKeyFile,
} from './keyCheck.ts';
export {
  decodeMasterKey,
  findKeyring,
  generateMasterKey,
  type Keyring,
  keyCheckValue,
  keyFilePath,
  keyIdOf,
  keyringOf,
  type MasterKey,
  masterKey,
} from './masterKey.ts';
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
