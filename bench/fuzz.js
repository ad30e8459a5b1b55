// `npm run fuzz`: random and mutated inputs through the credential parser and the group_id extraction.
// Every input must return one of the documented results, never throw. FUZZ_COUNT sets the number (1,000,000).
const { randomBytes, randomInt } = require('node:crypto');
const { parseAuthorization, extractGroupId } = require('../dist');

const COUNT = Number(process.env.FUZZ_COUNT || 1_000_000);
const SEEDS = [
  'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==',
  `Basic ${Buffer.from('b8f4c1f6-6a3c-4c69-9e8a-0f9a3c1d2e4f:twk_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG').toString('base64')}`,
  'basic   dGVzdDoxMjPCow==',
  '/api/v1/x?group_id=c1&a=b',
  '/x?group_id[]=1&group_id=2#frag',
];

function mutate(text) {
  const chars = [...text];
  const edits = 1 + randomInt(4);
  for (let i = 0; i < edits; i += 1) {
    const at = randomInt(chars.length + 1);
    const choice = randomInt(4);
    const char = String.fromCharCode(randomInt(4) === 0 ? randomInt(0x10000) : randomInt(0x80));
    if (choice === 0) chars.splice(at, 0, char);
    else if (choice === 1) chars.splice(at, 1);
    else if (choice === 2) chars[at] = char;
    else chars.splice(at, 0, ...chars.slice(0, randomInt(chars.length + 1)));
  }
  return chars.join('');
}

function randomInput() {
  switch (randomInt(4)) {
    case 0:
      return mutate(SEEDS[randomInt(SEEDS.length)]);
    case 1:
      return `Basic ${randomBytes(randomInt(120)).toString('base64')}`;
    case 2:
      return randomBytes(randomInt(200)).toString('latin1');
    default:
      return `Basic ${mutate(randomBytes(randomInt(60)).toString('base64'))}`;
  }
}

const BODIES = [undefined, null, {}, [], 'text', { group_id: 'c1' }, { group_id: ['c1'] }, { group_id: { a: 1 } }, { group_id: 1 }];
let ok = 0;
const started = Date.now();
for (let i = 0; i < COUNT; i += 1) {
  const input = randomInput();
  const parsed = parseAuthorization(input);
  if (!['ok', 'invalid'].includes(parsed.status)) throw new Error(`unexpected parse result for ${JSON.stringify(input)}`);
  if (parsed.status === 'ok') {
    ok += 1;
    const { publicId, privateKey } = parsed.credentials;
    if (publicId.length === 0 || privateKey.length === 0 || publicId.includes(':')) throw new Error(`bad credentials from ${JSON.stringify(input)}`);
  }
  const body = randomInt(3) === 0 ? { group_id: input } : BODIES[randomInt(BODIES.length)];
  const group = extractGroupId(body, randomInt(2) === 0 ? `/x?${input}` : input);
  if (!['ok', 'missing', 'invalid'].includes(group.status)) throw new Error(`unexpected group result for ${JSON.stringify(input)}`);
  if (group.status === 'ok' && (group.companyId.length === 0 || group.companyId.length > 128)) throw new Error(`bad company from ${JSON.stringify(input)}`);
}
console.log(`fuzzed ${COUNT} inputs in ${((Date.now() - started) / 1000).toFixed(1)} s: no exception, ${ok} parsed as credentials, every result well-formed`);
