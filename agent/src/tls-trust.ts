/**
 * Telling a TLS refusal from a network outage. A server whose certificate the
 * agent does not trust will not become trusted by retrying; the user should
 * read why, in words, at once.
 */

/** OpenSSL's and Node's codes for a certificate that does not verify. */
const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'CERT_REJECTED',
  'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED', 'CERT_SIGNATURE_FAILURE', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A sentence for the user when `err` says the server's certificate is not trusted; null for any other error. */
export function untrustedCertificate(err: unknown, serverUrl: string): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !CERTIFICATE_CODES.has(code)) return null;
  return `The support server ${serverUrl} presented a certificate this computer does not trust (${code}). ` +
    'Check the address; if your organisation uses its own certificate authority, point NODE_EXTRA_CA_CERTS at its certificate.';
}
