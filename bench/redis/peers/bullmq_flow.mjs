// BullMQ flow: a parent job with N no-op children (BullMQ's chord). W worker processes of concurrency C are started
// and ready first; the time is from FlowProducer.add to the parent's completion (it reads every child's value).
// Run through bullmq_flow.sh (bullmq installed into a scratch folder, a private Redis).
import { FlowProducer, Queue, QueueEvents, Worker } from "bullmq";
import { fork } from "node:child_process";
import IORedis from "ioredis";
const redis = () => new IORedis({ host: "127.0.0.1", port: Number(process.env.REDIS_PORT ?? 6390), maxRetriesPerRequest: null });
const [N, W, C] = [Number(process.env.N ?? 10000), Number(process.env.W ?? 2), Number(process.env.C ?? 50)];
if (process.argv[2] === "worker") {
  const w = new Worker("flow", async job => job.name === "parent" ? Object.keys(await job.getChildrenValues()).length : job.data.x,
    { connection: redis(), concurrency: C });
  await w.waitUntilReady();
  process.send("ready");
} else {
  const q = new Queue("flow", { connection: redis() });
  await q.obliterate({ force: true }).catch(() => {});
  const events = new QueueEvents("flow", { connection: redis() });
  await events.waitUntilReady();
  const kids = Array.from({ length: W }, () => fork(new URL(import.meta.url).pathname, ["worker"]));
  await Promise.all(kids.map(k => new Promise(r => k.once("message", r))));
  const flow = new FlowProducer({ connection: redis() });
  const t = performance.now();
  const tree = await flow.add({ name: "parent", queueName: "flow", data: {},
    children: Array.from({ length: N }, (_, i) => ({ name: "noop", queueName: "flow", data: { x: i } })) });
  const count = await tree.job.waitUntilFinished(events, 600000);
  const s = (performance.now() - t) / 1000;
  if (count !== N) { console.error(`the parent saw ${count} children, not ${N}`); process.exit(1); }
  console.log(`peer=bullmq what=flow children=${N} workers=${W} concurrency=${C} seconds=${s.toFixed(3)} members_per_s=${(N / s).toFixed(0)}`);
  kids.forEach(k => k.kill()); await flow.close(); await events.close(); await q.close(); process.exit(0);
}
