// The identity headers forward-auth answers with, percent-encoded so that any company id fits in a header.
import type { TwakeIdentity } from './types';

/** Header name of each identity field, as forward-auth sends them and `trustForwardedIdentity` reads them. */
export const IDENTITY_HEADERS = Object.freeze({
  applicationId: 'X-Twake-Application-Id',
  publicId: 'X-Twake-Public-Id',
  companyId: 'X-Twake-Company-Id',
  keyId: 'X-Twake-Key-Id',
  name: 'X-Twake-Application-Name',
} as const satisfies Record<keyof TwakeIdentity, string>);

/**
 * Encodes a value for an HTTP header: UTF-8 percent-encoding as `encodeURIComponent` does, so a company
 * id such as `東京` (which Node refuses in a header) becomes `%E6%9D%B1%E4%BA%AC`; plain ids such as
 * `acme-1` are unchanged. Decode with `decodeURIComponent`.
 */
export function encodeHeaderValue(value: string): string {
  return encodeURIComponent(value);
}

/** Decodes a value written by {@link encodeHeaderValue}; null when it is not one. */
export function decodeHeaderValue(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}

/** Every identity field as a header name and its encoded value. */
export function identityHeaders(identity: TwakeIdentity): Array<[string, string]> {
  return (Object.keys(IDENTITY_HEADERS) as Array<keyof TwakeIdentity>).map((field) => [IDENTITY_HEADERS[field], encodeHeaderValue(identity[field])]);
}
