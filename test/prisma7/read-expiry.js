// Run under a non-UTC TZ by test/integration/prisma7.test.ts. Prints, as JSON: the local UTC offset; the key
// expiries that createPrismaStore reads through the Prisma 7 client and through the Prisma 6.19 client;
// the id of a key it adds through createAdmin on Prisma 7 (expiring at EXPIRES_AT); and the middleware's
// status, on Prisma 7, for each key of KEYS.
// Usage: DATABASE_URL=… TZ=… EXPIRES_AT=<ms> KEYS='{"name":"private key"}' node read-expiry.js <public id> <company>
'use strict';
const { once } = require('node:events');
const { createAdmin, createPrismaStore, twakeAppAuth, twakeAuthErrorHandler } = require('../../dist');
const { openDatabase } = require('../../server/dist/database/database');
const { basicAuthorization: basic } = require('../../dist/testing');
const express = require('express');
const { openPrisma7 } = require('./clients');

async function expiries(store, publicId, companyId) {
  const record = await store.findApplication(publicId, companyId);
  return Object.fromEntries(record.keys.map((key) => [key.id, key.expiresAt === null ? null : key.expiresAt.toISOString()]));
}

async function statuses(store, publicId, companyId, keys) {
  const app = express();
  app.get('/api/v1/whoami', twakeAppAuth({ store, mode: 'development' }), (_req, res) => res.json({ ok: true }));
  app.use(twakeAuthErrorHandler());
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const url = `http://127.0.0.1:${server.address().port}/api/v1/whoami?group_id=${encodeURIComponent(companyId)}`;
    const result = {};
    for (const [name, key] of Object.entries(keys)) result[name] = (await fetch(url, { headers: { Authorization: basic(publicId, key) } })).status;
    return result;
  } finally {
    server.close();
  }
}

async function main() {
  const [publicId, companyId] = process.argv.slice(2);
  const url = process.env.DATABASE_URL;
  const prisma7 = openPrisma7(url);
  const prisma6 = openDatabase(url);
  try {
    const store7 = createPrismaStore(prisma7.prisma);
    const before = {
      prisma7: await expiries(store7, publicId, companyId),
      prisma6: await expiries(createPrismaStore(prisma6.prisma), publicId, companyId),
    };
    const added = await createAdmin(prisma7.prisma).addKey(publicId, { expiresAt: new Date(Number(process.env.EXPIRES_AT)) });
    const output = {
      // Proves the time zone took effect in this process (0 would make the check meaningless).
      utcOffsetMinutes: -new Date().getTimezoneOffset(),
      ...before,
      addedKeyId: added.keyId,
      statuses: await statuses(store7, publicId, companyId, JSON.parse(process.env.KEYS ?? '{}')),
    };
    console.log(JSON.stringify(output));
  } finally {
    await prisma7.close();
    await prisma6.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
