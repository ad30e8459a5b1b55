// Starts the backend: DATABASE_URL (default file:./data/notes.db, migrated with `npm run migrate`), PORT.
import { createApp } from './app';
import { createPrisma } from './db';

const prisma = createPrisma();
const port = Number(process.env.PORT ?? 3000);
const server = createApp({ prisma }).listen(port, () => console.log(`listening on http://localhost:${port}`));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => server.close(() => void prisma.$disconnect()));
}
