// BullMQ: Redis used_memory per queued job (addBulk of N no-op jobs, no worker). Run by ../run.sh from the bullmq folder.
import { Queue } from "bullmq";
import IORedis from "ioredis";
const port = Number(process.env.REDIS_PORT ?? 6399), N = Number(process.env.N ?? 10000);
const conn = new IORedis({ host: "127.0.0.1", port, maxRetriesPerRequest: null });
const q = new Queue("mem", { connection: conn });
await q.obliterate({ force: true }).catch(() => {});
await q.add("noop", { x: -1 });
const used = async () => Number((await conn.info("memory")).match(/used_memory:(\d+)/)[1]);
const before = await used();
for (let i = 0; i < N; i += 1000)
  await q.addBulk(Array.from({ length: Math.min(1000, N - i) }, (_, k) => ({ name: "noop", data: { x: i + k } })));
const after = await used();
console.log(`peer=bullmq what=memory jobs=${N} bytes_per_queued_job=${((after - before) / N).toFixed(0)}`);
await q.close(); await conn.quit(); process.exit(0);
