export {
  CREDENTIAL_FORMAT_VERSION,
  CREDENTIAL_IV_BYTES,
  CREDENTIAL_KEY_BYTES,
  CredentialCipher,
  CredentialCipherError,
  type CredentialCipherOptions,
  isSealedCredential,
  type OpenedCredential,
  openCredential,
  sealCredential,
} from './credential-cipher.js';
