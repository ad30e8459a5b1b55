// Decrypting Twake's three PHP forms and the Node encoded_json form, cross-checked with PHP's own openssl_encrypt.
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { decryptTwakeValue, formOf, TwakeDecryptionError } from '../../../server/src/import/twake-crypto';
import { CellReader } from '../../../server/src/import/twake-records';
import { encodedJson, encryptLegacy, encryptV1, encryptV2, TEST_TWAKE_SECRET } from '../../helpers/twake-encryption';

function php(code: string): string | null {
  try {
    return execFileSync('php', ['-r', code], { encoding: 'utf8' });
  } catch (error) {
    if (process.env.CI === 'true') throw error;
    return null;
  }
}

describe('decryptTwakeValue', () => {
  it('should decrypt v2, v1 and legacy (salted and unsalted) values', () => {
    expect(decryptTwakeValue(encryptV2('key-v2'), TEST_TWAKE_SECRET)).toEqual({ value: 'key-v2', form: 'v2' });
    expect(decryptTwakeValue(encryptV1(['a', 'b']), TEST_TWAKE_SECRET)).toEqual({ value: ['a', 'b'], form: 'v1' });
    expect(decryptTwakeValue(encryptLegacy('key-legacy'), TEST_TWAKE_SECRET)).toEqual({ value: 'key-legacy', form: 'legacy' });
    expect(decryptTwakeValue(encryptLegacy('plain-iv', TEST_TWAKE_SECRET, { salted: false }), TEST_TWAKE_SECRET)).toEqual({ value: 'plain-iv', form: 'legacy' });
  });

  it('should read the Node encoded_json column (JSON text, encrypted, JSON-encoded again) as the object', () => {
    const api = { private_key: 'k'.repeat(44), allowed_ips: '10.0.0.0/8', hooks_url: 'https://bot.example/hook' };
    expect(new CellReader(TEST_TWAKE_SECRET).json(encodedJson(api))).toEqual(api);
  });

  it('should leave plain values, IPv6 addresses and PHP json_encode text alone', () => {
    for (const plain of ['*', '"*"', '2001:db8::1', 'fe80:1:2', '10.0.0.0\\/8', '["messages_save"]', '']) expect(formOf(plain)).toBe('plain');
  });

  it('should refuse an encrypted value with a wrong secret or without one, naming the form', () => {
    expect(() => decryptTwakeValue(encryptV2('x'), 'ab'.repeat(24))).toThrow(TwakeDecryptionError);
    expect(() => decryptTwakeValue(encryptLegacy('x'), undefined)).toThrow(/legacy encrypted value/);
  });

  it("should decrypt what PHP's TwakeTextType::convertToDatabaseValue writes (php-cli)", () => {
    // The PHP code of convertToDatabaseValue's non-searchable branch, with the secret packed as ManagerAdapter does.
    const written = php(
      `$k = pack("H*", "${TEST_TWAKE_SECRET}"); $iv = openssl_random_pseudo_bytes(16); $salt = bin2hex(openssl_random_pseudo_bytes(16));` +
        ` echo "encrypted_" . trim(base64_encode(openssl_encrypt("php-written-key", "AES-256-CBC", $k . $salt, true, $iv))) . "_" . $salt . "_" . base64_encode($iv);`,
    );
    if (written === null) return;
    expect(decryptTwakeValue(written, TEST_TWAKE_SECRET)).toEqual({ value: 'php-written-key', form: 'legacy' });
  });

  it("should decrypt v1 and v2 values the way PHP's v1Decrypt and v2Decrypt read them (php-cli)", () => {
    const v2 = encryptV2('same-for-php');
    const v1 = encryptV1('same-for-php');
    const read = php(
      `$s = pack("H*", "${TEST_TWAKE_SECRET}");` +
        ` $k2 = substr(hash("sha256", unpack("H*", $s)[1]), 0, 32); $p = explode(":", "${v2}");` +
        ` echo json_decode(openssl_decrypt(base64_decode($p[2]), "aes-256-gcm", $k2, OPENSSL_RAW_DATA, base64_decode($p[0]), base64_decode($p[1]))), "\\n";` +
        ` $k1 = substr(base64_encode(hash("sha256", unpack("H*", $s)[1], true)), 0, 32); $q = explode(":", "${v1}");` +
        ` echo json_decode(openssl_decrypt(hex2bin($q[1]), "aes-256-cbc", $k1, OPENSSL_RAW_DATA, hex2bin($q[0])));`,
    );
    if (read === null) return;
    expect(read).toBe('same-for-php\nsame-for-php');
  });
});
