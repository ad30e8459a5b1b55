// The backend: every /api/v1 route is behind twakeAppAuth, which authenticates the calling Twake
// application and sets req.twake; saving a note also needs the company to have granted messages_save.
import express from 'express';
import { createCachedStore, createPrismaStore, requireCapabilities, twakeAppAuth, twakeAuthErrorHandler, twakeIdentity } from 'twake-app-auth';
import type { PrismaClient } from './db';

export interface AppOptions {
  prisma: PrismaClient;
  /** 'development' lets plain HTTP through (tests); by default only NODE_ENV=development does. */
  mode?: 'development' | 'production';
}

interface Note {
  id: number;
  text: string;
  by: string;
}

export function createApp({ prisma, mode }: AppOptions): express.Express {
  // Notes per company, in memory: the example is about authentication, not about storing notes.
  const notes = new Map<string, Note[]>();
  const app = express();
  // The validator reads JSON bodies itself (after checking the key); express.json() then skips them.
  app.use('/api/v1', twakeAppAuth({ store: createCachedStore(createPrismaStore(prisma)), mode }));
  app.use(express.json());

  app.get('/api/v1/notes', (req, res) => {
    // The company the application called for (group_id), checked as installed: take it from here only.
    const { companyId } = twakeIdentity(req);
    res.json({ company: companyId, notes: notes.get(companyId) ?? [] });
  });

  app.post('/api/v1/notes', requireCapabilities('messages_save'), (req, res) => {
    const { companyId, publicId } = twakeIdentity(req);
    const text: unknown = req.body?.text;
    if (typeof text !== 'string' || text === '') {
      res.status(400).json({ error: 'text is required' });
      return;
    }
    const list = notes.get(companyId) ?? [];
    const note = { id: list.length + 1, text, by: publicId };
    notes.set(companyId, [...list, note]);
    res.status(201).json(note);
  });

  app.use(twakeAuthErrorHandler());
  return app;
}
