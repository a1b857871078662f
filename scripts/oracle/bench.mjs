#!/usr/bin/env node
// bench.mjs: the SlateDB 0.12.1 side of `make bench` (scripts/bench.sh).  It drives the real
// SlateDB through its Node binding @slatedb/uniffi (installed into .oracle/ by
// scripts/oracle-install.sh) with the same rows and the same random index sequence as
// bench/sqlbench.c, and prints one "RESULT k=v ..." line in the same format.
//
//   node scripts/oracle/bench.mjs OP --path DIR [options]
//
// OP       load     create DIR/db and write --n rows in WriteBatches of --txn rows
//          commit   --ops durable single-row puts into a fresh DIR/db
//          get      --ops random point lookups of existing keys (--warmup first)
//          scan     full scan
//          range    --ops 1000-row range scans ascending, then --ops descending
//                   (each direction after --warmup unmeasured scans)
//          mixed    --ops operations: 90% gets, 10% puts (await_durable=false)
//          floor    --ops gets of one key held in the memtable: the binding's per-call cost
//          inlist   --ops batches of --rows random existing keys, each batch as concurrent gets,
//                   at most --fetch-tasks in flight (SlateDB 0.12.1 has no multi-get)
//
// options  --n N (1000000)  --txn N (10000)  --ops N  --warmup N (0)  --seed N (1)
//          --rows N (1000)  --flush-interval MS (SlateDB's flush_interval, 100)
//          --durable flush|await   load and commit: how a batch/put becomes durable
//              flush (default): write with await_durable=false, then flush_with_options(Wal):
//                    durable at once, no wait for the flush tick (the best setting)
//              await: write with await_durable=true: waits for the next flush tick
//          --read-ahead BYTES (scan, 1048576)  --fetch-tasks N (scan, 1)
//          --cache-blocks 0|1 (scan and range, 1)  --no-cache (DbBuilder.with_db_cache_disabled)
//          --url URL  the database root instead of DIR/db, e.g. s3://bucket/prefix/db (store
//                     ObjectStore.resolve("s3://bucket/prefix"), DB path "db", as
//                     slatedb-tool.mjs does; AWS_* variables); load and commit leave DIR alone
//
// Requests: with SDB_BENCH_PROXY=http://host:port (the S3 test proxy) get and inlist add the
// proxy's counters over the measured phase: px_get (ListObjectsV2 included), px_put, px_other.
//
// Settings: compactor and garbage collector off (the same layout as ours: L0 SSTs only),
// l0_max_ssts 100000 (SlateDB stalls after 8 L0s with nothing compacting), 4 KiB blocks, no
// compression, other Settings at SlateDB's defaults (64 MiB L0 SSTs, 64 MiB block cache).
// Reads open a writer (Db): a DbReader adds checkpoints to the manifest.
// Output: "RESULT op=<op> k=v ..." then "RESULT op=rusage maxrss_kb=N" (this process's peak RSS).
// Rows: see bench/sqlbench.c (16-byte keys, 100-byte values, random key order).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ORACLE_DIR = process.env.SDB_ORACLE_DIR || path.resolve(HERE, "..", "..", ".oracle");

// ---------------------------------------------------------------- rows

const fmix32 = (h) => {
  h >>>= 0;
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
};
const KEY_LEN = 16, VAL_LEN = 100, POOL_LEN = 4096;
const pool = Buffer.alloc(POOL_LEN + VAL_LEN);
for (let i = 0; i < pool.length; i++) pool[i] = fmix32(i + 0x1234567) & 0xff;

function makeKey(i) {
  const k = Buffer.allocUnsafe(KEY_LEN);
  k.writeUInt32BE(fmix32(i), 0);
  k.writeUInt32BE(fmix32((i ^ 0x9e3779b9) >>> 0), 4);
  k.writeUInt32BE(0, 8);
  k.writeUInt32BE(i >>> 0, 12);
  return k;
}
function makeVal(i) {
  const v = Buffer.allocUnsafe(VAL_LEN);
  v.writeUInt32BE(i >>> 0, 0);
  const off = (Math.imul(i, 37) >>> 0) % 4000;
  pool.copy(v, 4, off, off + VAL_LEN - 4);
  return v;
}

let rngState = 1;
const rnd = () => {
  let x = rngState;
  x ^= x << 13; x >>>= 0;
  x ^= x >>> 17;
  x ^= x << 5; x >>>= 0;
  rngState = x;
  return x;
};

// ---------------------------------------------------------------- helpers

const now = () => Number(process.hrtime.bigint()) / 1e9;
function quantile(a, q) {
  if (!a.length) return 0;
  a.sort((x, y) => x - y);
  let i = Math.ceil(q * a.length - 1e-9) - 1;
  if (i < 0) i = 0;
  if (i >= a.length) i = a.length - 1;
  return a[i];
}
const f = (x, d) => x.toFixed(d);
function die(msg) { console.error(`bench.mjs: ${msg}`); process.exit(1); }

function parseArgs(argv) {
  const o = {
    op: argv[0], path: null, n: 1000000, txn: 10000, ops: 1000, warmup: 0, seed: 1, rows: 1000,
    flushInterval: 100, durable: "flush", readAhead: 1048576, fetchTasks: 1, cacheBlocks: 1, noCache: false,
    url: null,
  };
  const num = new Set(["n", "txn", "ops", "warmup", "seed", "rows", "flush-interval", "read-ahead", "fetch-tasks", "cache-blocks"]);
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--no-cache") { o.noCache = true; continue; }
    if (!a.startsWith("--") || i + 1 >= argv.length) die(`bad argument ${a}`);
    const name = a.slice(2), v = argv[++i];
    if (name === "path") o.path = v;
    else if (name === "url") o.url = v.replace(/\/+$/, "");
    else if (name === "durable") { if (!["flush", "await"].includes(v)) die("--durable flush|await"); o.durable = v; }
    else if (num.has(name)) {
      const key = name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
      o[key] = Number(v);
      if (!Number.isInteger(o[key]) || o[key] < 0) die(`--${name} wants an integer`);
    } else die(`unknown option ${a}`);
  }
  if (!o.path && !o.url) die("--path is required");
  if (!o.path) o.path = ".";
  if (!o.seed) o.seed = 1;
  return o;
}

// ---------------------------------------------------------------- the binding

async function binding() {
  const entry = path.join(ORACLE_DIR, "node_modules", "@slatedb", "uniffi", "index.js");
  if (!fs.existsSync(entry)) die(`${entry} is missing; run scripts/oracle-install.sh first`);
  return import(pathToFileURL(entry).href);
}

async function open(S, o) {
  let storeUrl, dbPath;
  if (o.url) {
    const cut = o.url.lastIndexOf("/");
    storeUrl = o.url.slice(0, cut);
    dbPath = o.url.slice(cut + 1);
  } else {
    const root = path.resolve(o.path, "db");
    storeUrl = pathToFileURL(path.dirname(root)).href;
    dbPath = "db";
  }
  const store = S.ObjectStore.resolve(storeUrl);
  const b = new S.DbBuilder(dbPath, store);
  const s = S.Settings.default();
  s.set("compactor_options", "null");
  s.set("garbage_collector_options", "null");
  s.set("l0_max_ssts", "100000");
  s.set("flush_interval", JSON.stringify(`${o.flushInterval}ms`));
  let db;
  try {
    b.with_settings(s);
    b.with_sst_block_size(S.SstBlockSize.Block4Kib);
    if (o.noCache) b.with_db_cache_disabled();
    db = await b.build();
  } finally {
    b.dispose();
  }
  return {
    db,
    async close() { await db.shutdown(); db.dispose(); store.dispose(); },
  };
}

const NO_WAIT = { await_durable: false };
const WAIT = { await_durable: true };

// ---------------------------------------------------------------- operations

function freshDir(o) {
  if (o.url) return;
  fs.rmSync(o.path, { recursive: true, force: true });
  fs.mkdirSync(o.path, { recursive: true });
}

// The S3 test proxy's counters (SDB_BENCH_PROXY), or null.
async function proxyStats() {
  const u = process.env.SDB_BENCH_PROXY;
  if (!u) return null;
  try {
    const j = await (await fetch(`${u}/__proxy/stats`)).json();
    const m = j.by_method || {};
    const get = m.GET || 0, put = m.PUT || 0;
    return { get, put, other: j.requests - get - put };
  } catch (e) {
    return null;
  }
}
const pxPhase = (a, b) => (a && b) ? ` px_get=${b.get - a.get} px_put=${b.put - a.put} px_other=${b.other - a.other}` : "";

async function opLoad(S, o) {
  freshDir(o);
  let t0 = now();
  const h = await open(S, o);
  const tOpen = now() - t0;
  const t1 = now();
  for (let i = 0; i < o.n; i += o.txn) {
    const wb = new S.WriteBatch();
    const end = Math.min(o.n, i + o.txn);
    for (let j = i; j < end; j++) wb.put(makeKey(j), makeVal(j));
    if (o.durable === "await") {
      await h.db.write_with_options(wb, WAIT);
    } else {
      await h.db.write_with_options(wb, NO_WAIT);
      await h.db.flush_with_options({ flush_type: S.FlushType.Wal });
    }
    wb.dispose();
  }
  const tLoad = now() - t1;
  const t2 = now();
  await h.db.flush_with_options({ flush_type: S.FlushType.MemTable });
  await h.close();
  const tSettle = now() - t2;
  console.log(`RESULT op=load rows=${o.n} txn=${o.txn} open_s=${f(tOpen, 4)} load_s=${f(tLoad, 4)} ` +
    `rows_per_s=${f(o.n / tLoad, 0)} settle_s=${f(tSettle, 4)}`);
}

async function opCommit(S, o) {
  freshDir(o);
  const h = await open(S, o);
  const popt = { ttl: S.Ttl.Default() };
  const a = [];
  const tAll0 = now();
  for (let i = 0; i < o.ops; i++) {
    const k = makeKey(i), v = makeVal(i);
    const t = now();
    if (o.durable === "await") {
      await h.db.put_with_options(k, v, popt, WAIT);
    } else {
      await h.db.put_with_options(k, v, popt, NO_WAIT);
      await h.db.flush_with_options({ flush_type: S.FlushType.Wal });
    }
    a.push((now() - t) * 1e6);
  }
  const tAll = now() - tAll0;
  await h.close();
  const max = Math.max(...a);
  console.log(`RESULT op=commit commits=${o.ops} p50_us=${f(quantile(a, 0.5), 1)} p99_us=${f(quantile(a, 0.99), 1)} ` +
    `mean_us=${f(tAll * 1e6 / o.ops, 1)} max_us=${f(max, 1)}`);
}

async function opGet(S, o) {
  const t0 = now();
  const h = await open(S, o);
  const tOpen = now() - t0;
  rngState = o.seed;
  let found = 0;
  for (let i = 0; i < o.warmup; i++) if (await h.db.get(makeKey(rnd() % o.n))) found++;
  if (found !== o.warmup) die("warm-up: keys missing");
  const a = new Array(o.ops);
  found = 0;
  let bytes = 0;
  const px0 = await proxyStats();
  const tAll0 = now();
  for (let i = 0; i < o.ops; i++) {
    const t = now();
    const v = await h.db.get(makeKey(rnd() % o.n));
    if (v) { found++; bytes += v.length; }
    a[i] = (now() - t) * 1e6;
  }
  const tAll = now() - tAll0;
  const px1 = await proxyStats();
  const first = a[0];
  await h.close();
  if (found !== o.ops || bytes !== o.ops * VAL_LEN) die(`lookups: ${o.ops - found} keys missing`);
  console.log(`RESULT op=get lookups=${o.ops} warmup=${o.warmup} open_s=${f(tOpen, 4)} total_s=${f(tAll, 4)} ` +
    `ops_per_s=${f(o.ops / tAll, 0)} mean_us=${f(tAll * 1e6 / o.ops, 2)} p50_us=${f(quantile(a, 0.5), 2)} ` +
    `p99_us=${f(quantile(a, 0.99), 2)} first_us=${f(first, 1)}${pxPhase(px0, px1)}`);
}

async function opInlist(S, o) {
  const t0 = now();
  const h = await open(S, o);
  const tOpen = now() - t0;
  rngState = o.seed;
  const a = new Array(o.ops);
  const px0 = await proxyStats();
  const tAll0 = now();
  for (let q = 0; q < o.ops; q++) {
    const t = now();
    const keys = [];
    for (let i = 0; i < o.rows; i++) keys.push(makeKey(rnd() % o.n));
    // at most --fetch-tasks gets in flight (workers over a shared cursor). The first get of a
    // batch runs alone: concurrent gets that all miss an SST's index/filter issue the same
    // ranged GET each, and twice in our trials one of those batches never completed on S3.
    const vals = new Array(keys.length);
    vals[0] = await h.db.get(keys[0]);
    let next = 1;
    const worker = async () => { while (next < keys.length) { const j = next++; vals[j] = await h.db.get(keys[j]); } };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(o.fetchTasks, keys.length)) }, worker));
    for (const v of vals) if (!v || v.length !== VAL_LEN) die("inlist: keys missing");
    a[q] = (now() - t) * 1e6;
  }
  const tAll = now() - tAll0;
  const px1 = await proxyStats();
  const first = a[0];
  await h.close();
  console.log(`RESULT op=inlist queries=${o.ops} keys=${o.rows} open_s=${f(tOpen, 4)} total_s=${f(tAll, 4)} ` +
    `mean_us=${f(tAll * 1e6 / o.ops, 1)} p50_us=${f(quantile(a, 0.5), 1)} first_us=${f(first, 1)} ` +
    `keys_per_s=${f(o.ops * o.rows / tAll, 0)}${pxPhase(px0, px1)}`);
}

function scanOpts(S, o, order) {
  return {
    durability_filter: S.DurabilityLevel.Memory, dirty: false, read_ahead_bytes: o.readAhead,
    cache_blocks: !!o.cacheBlocks, max_fetch_tasks: o.fetchTasks, order,
  };
}

async function opScan(S, o) {
  const t0 = now();
  const h = await open(S, o);
  const tOpen = now() - t0;
  const t = now();
  const it = await h.db.scan_with_options(
    { start: undefined, start_inclusive: true, end: undefined, end_inclusive: false },
    scanOpts(S, o, S.IterationOrder.Ascending));
  let n = 0, sum = 0;
  for (let kv = await it.next(); kv; kv = await it.next()) {
    if (kv.key.length !== KEY_LEN || kv.value.length !== VAL_LEN) die("scan: wrong row size");
    sum += kv.key[15] + kv.value[99];
    n++;
  }
  it.dispose();
  const tScan = now() - t;
  await h.close();
  if (n !== o.n) die(`scan returned ${n} rows, expected ${o.n}`);
  console.log(`RESULT op=scan rows=${n} open_s=${f(tOpen, 4)} scan_s=${f(tScan, 4)} rows_per_s=${f(n / tScan, 0)} check=${sum}`);
}

function rangeStart() {
  const hi = (0x10000000 + Math.floor(rnd() * 0xE0000000 / 4294967296)) >>> 0;
  const k = Buffer.allocUnsafe(KEY_LEN);
  k.writeUInt32BE(hi, 0);
  k.writeUInt32BE(rnd(), 4);
  k.writeUInt32BE(rnd(), 8);
  k.writeUInt32BE(rnd(), 12);
  return k;
}

async function opRange(S, o) {
  const h = await open(S, o);
  const res = [];
  for (let d = 0; d < 2; d++) {
    rngState = (o.seed + d) >>> 0;
    const a = new Array(o.ops);
    let total = 0, tAll0 = 0;
    // --warmup unmeasured scans in this direction first
    for (let i = -o.warmup; i < o.ops; i++) {
      if (i === 0) { tAll0 = now(); total = 0; }
      const t = now();
      const k = rangeStart();
      const range = d === 0
        ? { start: k, start_inclusive: true, end: undefined, end_inclusive: false }
        : { start: undefined, start_inclusive: true, end: k, end_inclusive: true };
      const it = await h.db.scan_with_options(range,
        scanOpts(S, { ...o, readAhead: 1 }, d === 0 ? S.IterationOrder.Ascending : S.IterationOrder.Descending));
      let n = 0, prev = null;
      while (n < o.rows) {
        const kv = await it.next();
        if (!kv) break;
        if (kv.value.length !== VAL_LEN) die("range: wrong value size");
        const key = Buffer.from(kv.key);
        if (prev) { const c = Buffer.compare(prev, key); if (d === 0 ? c >= 0 : c <= 0) die("range: keys out of order"); }
        prev = key;
        n++;
      }
      it.dispose();
      // see sqlbench.c: short scans are only expected on small databases
      if (n === 0 || (n !== o.rows && o.n >= 64 * o.rows)) die(`range scan returned ${n} rows, expected ${o.rows}`);
      total += n;
      if (i >= 0) a[i] = (now() - t) * 1e6;
    }
    const tAll = now() - tAll0;
    res.push([total / tAll, quantile(a, 0.5), quantile(a, 0.99)]);
  }
  await h.close();
  console.log(`RESULT op=range scans=${o.ops} rows=${o.rows} asc_rows_per_s=${f(res[0][0], 0)} asc_p50_us=${f(res[0][1], 1)} ` +
    `asc_p99_us=${f(res[0][2], 1)} desc_rows_per_s=${f(res[1][0], 0)} desc_p50_us=${f(res[1][1], 1)} desc_p99_us=${f(res[1][2], 1)}`);
}

async function opMixed(S, o) {
  const h = await open(S, o);
  const popt = { ttl: S.Ttl.Default() };
  rngState = o.seed;
  const aR = [], aW = [];
  let found = 0;
  const tAll0 = now();
  for (let i = 0; i < o.ops; i++) {
    const t = now();
    const r = rnd();
    const idx = rnd() % o.n;
    const k = makeKey(idx);
    if (r % 10 === 0) {
      await h.db.put_with_options(k, makeVal((idx + o.n) >>> 0), popt, NO_WAIT);
      aW.push((now() - t) * 1e6);
    } else {
      if (await h.db.get(k)) found++;
      aR.push((now() - t) * 1e6);
    }
  }
  const tAll = now() - tAll0;
  if (found !== aR.length) die("mixed: keys missing");
  const tc = now();
  await h.close();
  const tClose = now() - tc;
  console.log(`RESULT op=mixed ops=${o.ops} reads=${aR.length} writes=${aW.length} total_s=${f(tAll, 4)} ` +
    `ops_per_s=${f(o.ops / tAll, 0)} read_p50_us=${f(quantile(aR, 0.5), 2)} read_p99_us=${f(quantile(aR, 0.99), 2)} ` +
    `write_p50_us=${f(quantile(aW, 0.5), 2)} write_p99_us=${f(quantile(aW, 0.99), 2)} close_s=${f(tClose, 4)}`);
}

// The cost of one awaited call through the binding: gets of a key in the memtable of a fresh
// database (no SST, no I/O).
async function opFloor(S, o) {
  freshDir(o);
  const h = await open(S, o);
  const k = makeKey(0);
  await h.db.put_with_options(k, makeVal(0), { ttl: S.Ttl.Default() }, NO_WAIT);
  for (let i = 0; i < 1000; i++) await h.db.get(k);
  const a = new Array(o.ops);
  const tAll0 = now();
  for (let i = 0; i < o.ops; i++) {
    const t = now();
    await h.db.get(k);
    a[i] = (now() - t) * 1e6;
  }
  const tAll = now() - tAll0;
  await h.close();
  console.log(`RESULT op=floor calls=${o.ops} mean_us=${f(tAll * 1e6 / o.ops, 2)} p50_us=${f(quantile(a, 0.5), 2)}`);
}

const o = parseArgs(process.argv.slice(2));
const S = await binding();
const ops = { load: opLoad, commit: opCommit, get: opGet, scan: opScan, range: opRange, mixed: opMixed, floor: opFloor, inlist: opInlist };
if (!ops[o.op]) die(`unknown operation ${o.op}`);
await ops[o.op](S, o);
console.log(`RESULT op=rusage maxrss_kb=${process.resourceUsage().maxRSS}`);
