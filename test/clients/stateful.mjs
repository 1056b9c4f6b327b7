// Transactions and subscriptions through one Node.js client library, default options:
// node stateful.mjs <ioredis5|ioredis6|redis4|redis5> <port>
// Prints one JSON line {"client", "passed", "failed"}; exits 1 when a case failed.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const [name, portText] = process.argv.slice(2);
const port = Number(portText);
const prefix = `{st:${name}:${process.pid}}`;  // one hash tag: a transaction's keys meet
const timeout = (ms, what) =>
  new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms));
function equal(got, want, what) {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  if (g !== w) throw new Error(`${what}: got ${g}, want ${w}`);
}

const ioredis = name.startsWith("ioredis");
let make;
if (ioredis) {
  const Redis = require(name);
  make = async () => {
    const c = new Redis({ host: "127.0.0.1", port });
    c.on("error", () => {});
    await new Promise((resolve, reject) => { c.once("ready", resolve); c.once("error", reject); });
    return c;
  };
} else {
  const { createClient } = require(name);
  make = async () => {
    const c = createClient({ url: `redis://127.0.0.1:${port}` });
    c.on("error", () => {});
    await c.connect();
    return c;
  };
}

const cases = [
  ["multi/exec", async (c) => {
    const tx = c.multi().set(`${prefix}a`, "1").incr(`${prefix}a`).get(`${prefix}a`);
    let r = await tx.exec();
    if (ioredis) r = r.map(([err, v]) => (err ? `error ${err.message}` : v));
    equal(r.map(String), ["OK", "2", "2"], "EXEC");
  }],
  ["subscribe and receive", async (c, other) => {
    const sub = ioredis ? c.duplicate() : c.duplicate();
    if (!ioredis) await sub.connect();
    const got = [];
    const channels = Array.from({ length: 6 }, (_, i) => `${prefix}ch${i}`.replace(/[{}]/g, "") + i);
    if (ioredis) {
      sub.on("message", (ch, msg) => got.push(`${ch}=${msg}`));
      await sub.subscribe(...channels);
    } else {
      for (const ch of channels) await sub.subscribe(ch, (msg) => got.push(`${ch}=${msg}`));
    }
    for (const ch of channels) await other.publish(ch, "m");
    const deadline = Date.now() + 5000;
    while (got.length < channels.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    equal(got.sort(), channels.map((ch) => `${ch}=m`).sort(), "messages");
    await sub.quit();
  }],
];

const passed = [];
const failed = [];
let client, other;
try {
  client = await Promise.race([make(), timeout(5000, "connect")]);
  other = await Promise.race([make(), timeout(5000, "connect")]);
  for (const [title, run] of cases) {
    try {
      await Promise.race([run(client, other), timeout(15000, title)]);
      passed.push(title);
    } catch (e) {
      failed.push(`${title}: ${e.message}`);
    }
  }
} catch (e) {
  failed.push(`connect: ${e.message}`);
}
for (const c of [client, other]) {
  try { if (c) await Promise.race([c.quit(), timeout(2000, "quit")]); } catch {}
}
console.log(JSON.stringify({ client: name, passed, failed }));
process.exit(failed.length === 0 ? 0 : 1);
