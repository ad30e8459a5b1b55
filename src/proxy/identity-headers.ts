// The identity headers forward-auth answers with, percent-encoded so that any company id fits in a header.
import { decodeComponent } from '../core/percent-decoding';
import type { TwakeIdentity } from '../core/types';

type TextField = 'applicationId' | 'publicId' | 'companyId' | 'keyId' | 'name';
type ListField = Exclude<keyof TwakeIdentity, TextField>;

/** Header name of each identity field, as forward-auth sends them and `trustForwardedIdentity` reads them. */
export const IDENTITY_HEADERS = Object.freeze({
  applicationId: 'X-Twake-Application-Id',
  publicId: 'X-Twake-Public-Id',
  companyId: 'X-Twake-Company-Id',
  keyId: 'X-Twake-Key-Id',
  name: 'X-Twake-Application-Name',
} as const satisfies Record<TextField, string>);

/** The granted lists, comma-separated (empty or absent: nothing granted). */
export const GRANT_HEADERS = Object.freeze({
  capabilities: 'X-Twake-Capabilities',
  privileges: 'X-Twake-Privileges',
} as const satisfies Record<ListField, string>);

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
  return decodeComponent(value);
}

/** Every identity field as a header name and its encoded value (lists: each name encoded, joined by commas). */
export function identityHeaders(identity: TwakeIdentity): Array<[string, string]> {
  const text = (Object.keys(IDENTITY_HEADERS) as TextField[]).map((field): [string, string] => [IDENTITY_HEADERS[field], encodeHeaderValue(identity[field])]);
  const lists = (Object.keys(GRANT_HEADERS) as ListField[]).map((field): [string, string] => [GRANT_HEADERS[field], identity[field].map(encodeHeaderValue).join(',')]);
  return [...text, ...lists];
}

/** A list header written by {@link identityHeaders}; null when a name does not decode. */
export function decodeListHeader(value: string): string[] | null {
  const names = value.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const decoded = names.map(decodeHeaderValue);
  return decoded.includes(null) ? null : (decoded as string[]);
}
