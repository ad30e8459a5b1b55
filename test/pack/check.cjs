// Shared by the smoke tests: one allowed and two refused requests through a real socket.
const assert = require('node:assert/strict');

async function check(app, authorization, wrongAuthorization) {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${server.address().port}/api/v1/whoami?group_id=acme`;
  try {
    const ok = await fetch(base, { headers: { authorization } });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { company: 'acme' });
    const wrong = await fetch(base, { headers: { authorization: wrongAuthorization } });
    assert.equal(wrong.status, 401);
    assert.equal((await wrong.json()).code, 'invalid_credentials');
    const elsewhere = await fetch(base.replace('acme', 'other'), { headers: { authorization } });
    assert.equal(elsewhere.status, 403);
  } finally {
    server.close();
  }
}

module.exports = { check };
