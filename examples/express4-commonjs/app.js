// The backend: every /api/v1 route is behind twakeAppAuth, which authenticates the calling Twake
// application and sets req.twake; saving a note also needs the company to have granted messages_save.
const express = require('express');
const { requireCapabilities, twakeAppAuth, twakeAuthErrorHandler, twakeIdentity } = require('twake-app-auth');

/**
 * @param {{ store: import('twake-app-auth').ApplicationStore, mode?: 'development' | 'production' }} options
 *   mode 'development' lets plain HTTP through (tests); by default only NODE_ENV=development does.
 */
function createApp({ store, mode }) {
  // Notes per company, in memory: the example is about authentication, not about storing notes.
  const notes = new Map();
  const app = express();
  // The validator reads JSON bodies itself (after checking the key); express.json() then skips them.
  app.use('/api/v1', twakeAppAuth({ store, mode }));
  app.use(express.json());

  app.get('/api/v1/notes', (req, res) => {
    // The company the application called for (group_id), checked as installed: take it from here only.
    const { companyId } = twakeIdentity(req);
    res.json({ company: companyId, notes: notes.get(companyId) ?? [] });
  });

  app.post('/api/v1/notes', requireCapabilities('messages_save'), (req, res) => {
    const { companyId, publicId } = twakeIdentity(req);
    const text = req.body?.text;
    if (typeof text !== 'string' || text === '') return res.status(400).json({ error: 'text is required' });
    const list = notes.get(companyId) ?? [];
    const note = { id: list.length + 1, text, by: publicId };
    notes.set(companyId, [...list, note]);
    res.status(201).json(note);
  });

  app.use(twakeAuthErrorHandler());
  return app;
}

module.exports = { createApp };
