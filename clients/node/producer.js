#!/usr/bin/env node
// A small Gamut producer in Node.js, written from docs/redis-protocol.md, docs/protocol.md and the Lua scripts only.
// It checks the layout version, subscribes to a reply channel of its own, enqueues N `gamut.command` jobs with the
// `enqueue` script (each naming that channel as its watcher), re-reads every job with `watch`, and waits until all
// have ended, printing each job's stdout.
//
//   node producer.js --redis redis://127.0.0.1:6379 [--prefix gamut] [--queue default] [-n 3] [--timeout 120]
//                    [--scripts DIR] [-- COMMAND ARG...]
//
// Without a command each job runs `echo hello-I`; with one, each job runs that command with I appended.
import { createClient } from 'redis';
import { readFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const LAYOUT = '1';
const ENDED = new Set(['succeeded', 'failed', 'dead', 'cancelled']);
const PENDING = new Set(['queued', 'delayed', 'running']);

function usage(msg) {
  if (msg) console.error(`gamut-node-producer: ${msg}`);
  console.error('usage: node producer.js --redis URL [--prefix P] [--queue Q] [-n N] [--timeout SECONDS] ' +
    '[--scripts DIR] [-- COMMAND ARG...]');
  process.exit(2);
}

function parseArgs(argv) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const o = {
    redis: 'redis://127.0.0.1:6379', prefix: 'gamut', queue: 'default', n: 3, timeout: 120,
    scripts: path.resolve(here, '../../src/Gamut.Redis/Scripts'), command: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => { if (i + 1 >= argv.length) usage(`${a} needs a value`); return argv[++i]; };
    if (a === '--') { o.command = argv.slice(i + 1); break; }
    else if (a === '--redis') o.redis = val();
    else if (a === '--prefix') o.prefix = val();
    else if (a === '--queue') o.queue = val();
    else if (a === '-n' || a === '--jobs') o.n = Number(val());
    else if (a === '--timeout') o.timeout = Number(val());
    else if (a === '--scripts') o.scripts = val();
    else if (a === '-h' || a === '--help') usage();
    else usage(`unknown argument ${a}`);
  }
  // The alphabets of section 1: a prefix or queue outside them would build keys other implementations never read.
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(o.prefix)) usage(`the prefix '${o.prefix}' is not 1-64 of A-Z a-z 0-9 . _ - :`);
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(o.queue)) usage(`the queue '${o.queue}' is not 1-100 of A-Z a-z 0-9 . _ -`);
  if (!Number.isInteger(o.n) || o.n < 1 || o.n > 1000) usage('-n must be an integer from 1 to 1000');
  if (!(o.timeout > 0)) usage('--timeout must be a positive number of seconds');
  if (o.command && o.command.length === 0) usage('nothing after --');
  return o;
}

// Section 9: a script is prelude.lua, one "\n", then the script's file, exactly those bytes.
function loadScript(dir, name) {
  const text = readFileSync(path.join(dir, 'prelude.lua'), 'utf8') + '\n' + readFileSync(path.join(dir, `${name}.lua`), 'utf8');
  return { text, sha: createHash('sha1').update(text, 'utf8').digest('hex') };
}

async function runScript(client, script, keys, args) {
  const opts = { keys, arguments: args.map(String) };
  try {
    return await client.evalSha(script.sha, opts);
  } catch (err) {
    if (!String(err.message).startsWith('NOSCRIPT')) throw err;
    return await client.eval(script.text, opts);
  }
}

// Section 2: SET P:layout 1 NX, then GET; when Redis refuses the SET (full or read-only), GET only, missing = 1.
async function checkLayout(client, prefix) {
  const key = `${prefix}:layout`;
  try {
    await client.set(key, LAYOUT, { NX: true });
  } catch (err) {
    const m = String(err.message);
    if (!m.startsWith('OOM') && !m.startsWith('READONLY')) throw err;
  }
  const v = (await client.get(key)) ?? LAYOUT;
  if (v !== LAYOUT) {
    throw new Error(`the key ${key} holds layout version '${v}'; this producer speaks version ${LAYOUT}`);
  }
}

// A ULID: 48 bits of Unix ms then 80 random bits, 26 characters of Crockford base32 (section 1).
function ulid() {
  const abc = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let t = Date.now();
  let out = '';
  for (let i = 0; i < 10; i++) { out = abc[t % 32] + out; t = Math.floor(t / 32); }
  const r = randomBytes(16);
  for (let i = 0; i < 16; i++) out += abc[r[i] % 32];
  return out;
}

// protocol.md § Errors coming back: a missing code is derived from the type.
function errorText(json) {
  let e;
  try { e = JSON.parse(json); } catch { return `unreadable error: ${json}`; }
  const code = e.code ?? (e.type === 'Gamut.Redis.DeadLetter' ? 'dead'
    : e.type === 'Gamut.Jobs.JobTimeoutException' ? 'timeout' : 'failed');
  return `${code}${e.reason ? ` (${e.reason})` : ''}: ${e.type ?? ''}: ${e.message ?? ''}`;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const P = o.prefix, Q = o.queue;
  const enqueue = loadScript(o.scripts, 'enqueue');
  const watch = loadScript(o.scripts, 'watch');

  const client = createClient({ url: o.redis });
  client.on('error', (err) => console.error(`gamut-node-producer: redis: ${err.message}`));
  await client.connect();
  await checkLayout(client, P);

  const clientId = `node-${hostname().replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40)}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const channel = `${P}:reply:${clientId}`;
  const jobKey = (id) => `${P}:{${Q}}:job:${id}`;

  const jobs = [];
  for (let i = 0; i < o.n; i++) {
    const payload = o.command
      ? { executable: o.command[0], arguments: [...o.command.slice(1), String(i)] }
      : { executable: 'echo', arguments: [`hello-${i}`] };
    jobs.push({ i, id: ulid(), payload });
  }
  const pending = new Map(jobs.map((j) => [j.id, j]));
  let finish;
  const allDone = new Promise((resolve) => { finish = resolve; });
  let failures = 0;

  function settle(job, state, result, error) {
    if (!pending.delete(job.id)) return;
    if (state === 'succeeded') {
      const out = JSON.parse(result);
      const stdout = Buffer.from(out.stdout ?? '', 'base64').toString('utf8');
      process.stdout.write(`job ${job.i} ${job.id} exit ${out.exitCode}: ${stdout}${stdout.endsWith('\n') ? '' : '\n'}`);
      if (out.exitCode !== 0) failures++;
    } else if (state === 'missing') {
      console.error(`job ${job.i} ${job.id} lost: its record is gone`);
      failures++;
    } else if (state === 'cancelled') {
      console.error(`job ${job.i} ${job.id} cancelled`);
      failures++;
    } else if (state === 'failed' || state === 'dead') {
      console.error(`job ${job.i} ${job.id} ${state}: ${errorText(error)}`);
      failures++;
    } else {
      console.error(`job ${job.i} ${job.id} ended in the unknown state '${state}'`);
      failures++;
    }
    if (pending.size === 0) finish();
  }

  // Section 5.3: watch returns [state] while pending, [state, r, e] once ended, ["missing"] without a record.
  async function reread(job) {
    const reply = await runScript(client, watch, [jobKey(job.id)], [channel]);
    const state = reply[0];
    if (PENDING.has(state)) return;
    settle(job, state, reply[1], reply[2]);
  }
  const rereadAll = () => Promise.all([...pending.values()].map(reread));

  // Subscribe first, on a connection of its own, and wait for Redis' confirmation before enqueueing.
  const sub = client.duplicate();
  sub.on('error', (err) => console.error(`gamut-node-producer: redis (subscriber): ${err.message}`));
  let subscribed = false;
  // After every re-subscription (node-redis resubscribes on reconnect), re-read: PUB/SUB dropped what came meanwhile.
  sub.on('ready', () => { if (subscribed) rereadAll().catch((err) => console.error(`re-read: ${err.message}`)); });
  await sub.connect();
  await sub.subscribe(channel, (message) => {
    // "KIND Q ID\n" then the body (the result for `succeeded`, the error JSON for `failed`/`dead`).
    const nl = message.indexOf('\n');
    const header = nl < 0 ? message : message.slice(0, nl);
    const body = nl < 0 ? '' : message.slice(nl + 1);
    const [kind, , id] = header.split(' ');
    const job = pending.get(id);
    if (!job || kind === 'progress') return;
    if (kind === 'succeeded') settle(job, 'succeeded', body, '');
    else if (kind === 'failed' || kind === 'dead') settle(job, kind, '', body);
    else if (kind === 'cancelled') settle(job, 'cancelled', '', '');
    else reread(job).catch((err) => console.error(`re-read: ${err.message}`)); // `done` (a large result) or new kinds
  });
  subscribed = true;

  await client.sAdd(`${P}:queues`, Q);
  // Section 5.2: per job `id name payload delayMs nExtra` then the extra field/value pairs; `x` is the reply channel.
  const args = [`${P}:{${Q}}:job:`, jobs.length, `${P}:wake:${Q}`];
  for (const j of jobs) args.push(j.id, 'gamut.command', JSON.stringify(j.payload), 0, 1, 'x', channel);
  const replies = await runScript(client, enqueue, [`${P}:{${Q}}:queue`, `${P}:{${Q}}:delayed`, `${P}:{${Q}}:stats`], args);
  replies.forEach((r, k) => { if (r !== 'created') console.error(`job ${k} ${jobs[k].id}: enqueue said '${r}'`); });
  console.error(`enqueued ${jobs.length} job(s) on ${P}:{${Q}}:queue; waiting on ${channel}`);

  // A guard: re-read now (a job may have ended before our first message was read) and every few seconds.
  await rereadAll();
  const guard = setInterval(() => rereadAll().catch((err) => console.error(`re-read: ${err.message}`)), 5000);
  let timer;
  const timedOut = new Promise((resolve) => { timer = setTimeout(() => resolve(true), o.timeout * 1000); });
  const late = await Promise.race([allDone.then(() => false), timedOut]);
  clearInterval(guard);
  clearTimeout(timer);
  if (late) {
    console.error(`gamut-node-producer: ${pending.size} job(s) still pending after ${o.timeout} s (is a worker serving queue '${Q}'?)`);
    failures += pending.size;
  }
  await sub.quit();
  await client.quit();
  process.exit(failures === 0 ? 0 : 1);
}

main().catch((err) => {
  console.error(`gamut-node-producer: ${err.message}`);
  process.exit(1);
});
