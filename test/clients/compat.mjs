// One real Node.js Redis client library, with its default options, against a coproxy Redis pool:
// node compat.mjs <ioredis5|ioredis6|redis4|redis5> <port> [password]
// Runs the cases every client must pass and prints one JSON line: {"client", "passed", "failed"};
// exits 1 when a case failed. Used by test/integration/py/test_client_compat.py.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const [name, portText, password] = process.argv.slice(2);
const port = Number(portText);
const prefix = `${name}:${process.pid}:`;  // keys of this run only
const timeout = (ms, what) =>
  new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms));

function equal(got, want, what) {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  if (g !== w) throw new Error(`${what}: got ${g}, want ${w}`);
}

// The same cases, through each library's own API.
const adapters = {
  ioredis(module) {
    const Redis = require(module);
    let reconnects = 0;
    let client;
    return {
      async connect() {
        client = new Redis({ host: "127.0.0.1", port, password: password || undefined });
        client.on("reconnecting", () => ++reconnects);
        client.on("error", () => {});
        await Promise.race([
          new Promise((resolve, reject) => {
            client.once("ready", resolve);
            client.once("error", reject);
          }),
          timeout(5000, "ready"),
        ]);
      },
      reconnects: () => reconnects,
      set: (k, v) => client.set(k, v),
      get: (k) => client.get(k),
      async pipeline(k) {
        const r = await client.pipeline().set(k, "1").incr(k).get(k).exec();
        return r.map(([err, value]) => (err ? `error ${err.message}` : value));
      },
      mset: (pairs) => client.mset(pairs),
      mget: (keys) => client.mget(keys),
      del: (keys) => client.del(keys),
      async script(k) {
        client.defineCommand("compatGet", { numberOfKeys: 1, lua: "return redis.call('get', KEYS[1])" });
        return [await client.compatGet(k), await client.compatGet(k)];  // EVAL, then EVALSHA
      },
      command: (args) => client.call(...args),
      async multi(k) {
        const r = await client.multi().set(k, "b").incr(`${k}:n`).exec();
        return r === null ? null : r.map(([err, value]) => (err ? `error ${err.message}` : value));
      },
      quit: () => client.quit(),
    };
  },
  noderedis(module) {
    const { createClient } = require(module);
    let reconnects = 0;
    let client;
    return {
      async connect() {
        const auth = password ? `:${encodeURIComponent(password)}@` : "";
        client = createClient({
          url: `redis://${auth}127.0.0.1:${port}`,
          scripts: undefined,
        });
        client.on("reconnecting", () => ++reconnects);
        client.on("error", () => {});
        await Promise.race([client.connect(), timeout(5000, "connect")]);
      },
      reconnects: () => reconnects,
      set: (k, v) => client.set(k, v),
      get: (k) => client.get(k),
      async pipeline(k) {
        return client.multi().set(k, "1").incr(k).get(k).execAsPipeline();
      },
      mset: (pairs) => client.mSet(pairs),
      mget: (keys) => client.mGet(keys),
      del: (keys) => client.del(keys),
      async script(k) {
        const body = "return redis.call('get', KEYS[1])";
        const sha = await client.sendCommand(["SCRIPT", "LOAD", body]);
        return [await client.sendCommand(["EVALSHA", sha, "1", k]),
                await client.sendCommand(["EVALSHA", sha, "1", k])];
      },
      command: (args) => client.sendCommand(args.map(String)),
      async multi(k) {
        return client.multi().set(k, "b").incr(`${k}:n`).exec();
      },
      quit: () => client.quit(),
    };
  },
};

const adapter = name.startsWith("ioredis") ? adapters.ioredis(name) : adapters.noderedis(name);
const cases = [
  ["connects with default options", async () => {
    await adapter.connect();
    equal(await adapter.set(`${prefix}hello`, "world"), "OK", "SET");
    equal(await adapter.get(`${prefix}hello`), "world", "GET");
  }],
  ["pipeline", async () => {
    const r = await adapter.pipeline(`${prefix}p`);
    equal(r.map(String), ["OK", "2", "2"], "SET INCR GET");
  }],
  ["multi-key commands across shards", async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `${prefix}mk${i}`);
    const pairs = keys.flatMap((k, i) => [k, `v${i}`]);
    equal(await adapter.mset(pairs), "OK", "MSET");
    equal(await adapter.mget([...keys, `${prefix}missing`]),
          [...keys.map((_, i) => `v${i}`), null], "MGET");
    equal(Number(await adapter.del(keys)), 30, "DEL");
  }],
  ["scripts", async () => {
    await adapter.set(`${prefix}sk`, "scripted");
    equal(await adapter.script(`${prefix}sk`), ["scripted", "scripted"], "script twice");
  }],
  ["a refused command keeps the connection", async () => {
    let refused = "";
    try {
      await adapter.command(["CONFIG", "GET", "maxmemory"]);
    } catch (e) {
      refused = e.message;
    }
    if (!refused.includes("unsupported command 'config'")) throw new Error(`CONFIG: ${refused || "answered"}`);
    equal(await adapter.get(`${prefix}hello`), "world", "GET after the refusal");
    equal(adapter.reconnects(), 0, "reconnects");
  }],
  ["a transaction applies all or nothing", async () => {
    const k = `${prefix}mx`;
    let result;
    try {
      result = await adapter.multi(k);
    } catch (e) {
      result = e;
    }
    const applied = await adapter.get(k);
    if (result instanceof Error || result === null) {
      equal(applied, null, `refused transaction (${result && result.message}) applied nothing`);
    } else {
      equal(applied, "b", "EXEC applied the transaction");
      equal(result.map(String), ["OK", "1"], "EXEC replies");
    }
  }],
];

const passed = [];
const failed = [];
for (const [title, run] of cases) {
  try {
    await Promise.race([run(), timeout(15000, title)]);
    passed.push(title);
  } catch (e) {
    failed.push(`${title}: ${e.message}`);
    if (passed.length === 0) break;  // not even connected
  }
}
try {
  await Promise.race([adapter.quit(), timeout(2000, "quit")]);
} catch {}
console.log(JSON.stringify({ client: name, passed, failed }));
process.exit(failed.length === 0 ? 0 : 1);
