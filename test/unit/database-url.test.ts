import { describe, expect, it } from '@jest/globals';
import { isSecretParameter, redactDatabaseUrl } from '../../server/src/database/database-url';

describe('redactDatabaseUrl', () => {
  it.each([
    ['a password in userinfo', 'postgresql://u:secret@h:5432/db', 'postgresql://u:***@h:5432/db'],
    ['no password at all', 'postgresql://u@h/db', 'postgresql://u@h/db'],
    ['?password=', 'postgresql://u@h/db?password=secret', 'postgresql://u@h/db?password=***'],
    ['?sslpassword= (the client key passphrase)', 'postgresql://u@h/db?sslpassword=secret&sslmode=require', 'postgresql://u@h/db?sslpassword=***&sslmode=require'],
    ['?oauth_client_secret=', 'postgresql://u@h/db?oauth_client_id=app&oauth_client_secret=secret', 'postgresql://u@h/db?oauth_client_id=app&oauth_client_secret=***'],
    ['any letter case', 'postgres://u@h/db?PassWord=secret&SSLPASSWORD=secret', 'postgres://u@h/db?PassWord=***&SSLPASSWORD=***'],
    ['a percent-encoded name', 'postgresql://u@h/db?pass%77ord=secret', 'postgresql://u@h/db?pass%77ord=***'],
    ['a repeated parameter', 'postgresql://u@h/db?password=one&password=two', 'postgresql://u@h/db?password=***&password=***'],
    ['a value with encoded separators', 'postgresql://u@h/db?password=se%26cr+et', 'postgresql://u@h/db?password=***'],
    ['userinfo and query together', 'postgresql://u:one@h/db?password=two', 'postgresql://u:***@h/db?password=***'],
    ['a password cut at # (the rest lands in the fragment)', 'postgresql://u@h/db?password=sec#ret', 'postgresql://u@h/db?password=***#***'],
    ['a Unix socket host in the query', 'postgresql:///db?host=/var/run/postgresql&password=secret', 'postgresql:///db?host=/var/run/postgresql&password=***'],
    ['paths and settings, kept', 'postgresql://u@h/db?sslkey=/k.pem&sslcert=/c.pem&passfile=/p&application_name=a%20b', 'postgresql://u@h/db?sslkey=/k.pem&sslcert=/c.pem&passfile=/p&application_name=a%20b'],
    ['a parameter without value', 'postgresql://u@h/db?password', 'postgresql://u@h/db?password'],
    ['an SQLite file', 'file:./data/x.db', 'file:./data/x.db'],
    ['an SQLite file with a secret parameter', 'file:./x.db?connection_limit=1&password=secret', 'file:./x.db?connection_limit=1&password=***'],
    ['a URL the parser refuses', 'postgresql://u:secret@/db', 'postgresql://(unparsable URL)'],
  ])('%s', (_case, url, expected) => {
    expect(redactDatabaseUrl(url)).toBe(expected);
  });

  it.each(['password', 'sslpassword', 'oauth_client_secret', 'PASSWORD', 'db_passwd', 'passphrase', 'access_token', 'pass', 'PWD'])('treats %s as a secret', (name) => {
    expect(isSecretParameter(name)).toBe(true);
  });

  it.each(['user', 'host', 'sslkey', 'sslcert', 'sslrootcert', 'passfile', 'sslmode', 'application_name', 'options', 'oauth_client_id'])('keeps %s', (name) => {
    expect(isSecretParameter(name)).toBe(false);
  });
});
