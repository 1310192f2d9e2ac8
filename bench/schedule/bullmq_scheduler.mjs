// BullMQ's job scheduler (repeatable jobs) with the pattern '* * * * * *' and one worker (concurrency 4) running
// no-op jobs for SECS seconds; prints 'ID CREATED_MS STARTED_MS' per job (the tick is the id's last part; BullMQ
// creates each job ahead of its tick, as a delayed job, so its "created" is not comparable and printed as '-').
import { Queue, Worker } from 'bullmq';

const connection = { host: '127.0.0.1', port: Number(process.env.REDIS_PORT) };
const secs = Number(process.env.SECS || 60);
const queue = new Queue('jitter', { connection });
const rows = [];
const worker = new Worker('jitter', async job => { rows.push(`${job.id} - ${job.processedOn}`); }, { connection, concurrency: 4 });
await queue.upsertJobScheduler('tick', { pattern: '* * * * * *' }, { name: 'tick', data: {} });
await new Promise(r => setTimeout(r, secs * 1000));
await queue.removeJobScheduler('tick');
await new Promise(r => setTimeout(r, 1500));
await worker.close();
await queue.close();
console.log(rows.join('\n'));
