// Starts the backend with one application in a MemoryStore, from the environment:
//   TWAKE_APP_PUBLIC_ID, TWAKE_APP_PRIVATE_KEY, TWAKE_APP_COMPANIES (comma-separated), PORT.
// A MemoryStore lives in this process only: use createPrismaStore in production.
const { MemoryStore, generatePrivateKey } = require('twake-app-auth');
const { randomUUID } = require('node:crypto');
const { createApp } = require('./app');

const publicId = process.env.TWAKE_APP_PUBLIC_ID ?? randomUUID();
const privateKey = process.env.TWAKE_APP_PRIVATE_KEY ?? generatePrivateKey();
const companies = (process.env.TWAKE_APP_COMPANIES ?? 'acme').split(',').filter(Boolean);

const store = new MemoryStore();
store.add({
  publicId,
  name: 'Notes bot',
  keys: [{ privateKey }],
  companies,
  grants: Object.fromEntries(companies.map((company) => [company, { capabilities: ['messages_save'] }])),
});

const port = Number(process.env.PORT ?? 3000);
const server = createApp({ store }).listen(port, () => {
  console.log(`listening on http://localhost:${port}`);
  if (process.env.TWAKE_APP_PRIVATE_KEY === undefined) console.log(`application ${publicId}, key ${privateKey}, companies ${companies.join(', ')}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close());
