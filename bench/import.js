// `npm run bench:import`: `twake-app-auth import` of 100,000 encrypted PHP-era applications with 1,000,000 installations, time and peak memory.
const { spawnSync } = require('node:child_process');
const { createCipheriv, randomBytes } = require('node:crypto');
const { createWriteStream, mkdtempSync, rmSync, statSync } = require('node:fs');
const { once } = require('node:events');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { createDatabase, markdownTable } = require('./lib');

const APPLICATIONS = Number(process.env.BENCH_APPLICATIONS || 100_000);
const INSTALLS_PER_APP = Number(process.env.BENCH_INSTALLS_PER_APP || 10);
const PROVIDERS = (process.env.BENCH_PROVIDERS || 'postgresql,sqlite').split(',');
const SECRET = randomBytes(24).toString('hex');

// Twake's legacy form (PHP TwakeTextType::convertToDatabaseValue): AES-256-CBC, key = secret bytes + salt.
function legacy(text) {
  const salt = randomBytes(16).toString('hex');
  const iv = randomBytes(16);
  const key = Buffer.alloc(32);
  Buffer.concat([Buffer.from(SECRET, 'hex'), Buffer.from(salt)]).copy(key, 0, 0, 32);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  return `encrypted_${Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]).toString('base64')}_${salt}_${iv.toString('base64')}`;
}

// One mysql JSON line per row, as the README's MySQL recipe writes them.
async function writeExport(file) {
  const out = createWriteStream(file);
  const write = async (line) => {
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  };
  for (let index = 0; index < APPLICATIONS; index += 1) {
    const id = `${index.toString(16).padStart(8, '0')}-2b3c-11eb-9f1a-0242ac120002`;
    await write(JSON.stringify({ id, group_id: 'developer', name: legacy(`App ${index}`), api_private_key: legacy(randomBytes(100).toString('base64')), api_allowed_ip: legacy('"*"'), capabilities: legacy('["messages_save","display_modal"]'), privileges: legacy('["channels"]') }));
    for (let company = 0; company < INSTALLS_PER_APP; company += 1) {
      await write(JSON.stringify({ group_id: `company-${company}`, app_id: id, capabilities: company % 2 === 0 ? '[]' : '["messages_save"]', privileges: '["channels"]' }));
    }
  }
  out.end();
  await once(out, 'finish');
}

async function main() {
  const folder = mkdtempSync(join(tmpdir(), 'twake-import-bench-'));
  const file = join(folder, 'twake-export.jsonl');
  const rows = [];
  try {
    await writeExport(file);
    const fileMiB = statSync(file).size / 1048576;
    for (const provider of PROVIDERS) {
      const database = await createDatabase(provider, 'twake_app_auth_bench_import');
      try {
        const started = process.hrtime.bigint();
        // GNU time's %M: the import process's peak resident set, in KiB.
        const run = spawnSync('/usr/bin/time', ['-f', 'maxrss=%M', process.execPath, join(__dirname, '..', 'server', 'dist', 'cli', 'main.js'), 'import', '--from', file, '--json'], {
          env: { PATH: process.env.PATH, DATABASE_URL: database.url, TWAKE_IMPORT_SECRET: SECRET },
          encoding: 'utf8',
          maxBuffer: 1 << 30,
        });
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        if (run.status !== 0) throw new Error(`import on ${provider} failed: ${run.stderr}`);
        const report = JSON.parse(run.stdout);
        const rss = Number(/maxrss=(\d+)/.exec(run.stderr)?.[1] ?? 0) / 1024;
        rows.push([provider, report.counts.created.toLocaleString('en'), report.installations.written.toLocaleString('en'), `${fileMiB.toFixed(0)} MiB`, `${seconds.toFixed(1)} s`, `${rss.toFixed(0)} MiB`]);
        console.error(`${provider}: ${seconds.toFixed(1)} s, peak RSS ${rss.toFixed(0)} MiB`);
      } finally {
        await database.drop();
      }
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  console.log(markdownTable(['database', 'applications', 'installations', 'export file', 'import time', 'peak RSS of the import'], rows));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
