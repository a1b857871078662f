#!/usr/bin/env node
// difftest.mjs: the differential tester of sqlite-slatedb (issue #12).  A seed gives a random
// history of steps; each step is applied to one database directory by its current writer,
// either our engine (through SQL: a long-lived `sqlite3` shell that loaded slatedb.so) or the
// real SlateDB 0.12.1 (its Node binding @slatedb/uniffi, in this process), and to a simple
// in-memory model.  After every step the writer's own view and a reader of the *other* engine
// on the same directory (our mode=reader table on SlateDB's live database, a SlateDB DbReader
// on ours) are compared with each other and with the model: full scans in both orders, random
// ranges (bounds on and between keys, both inclusivities, both orders), point gets, IN-lists,
// and seq / create_ts / expire_ts.  Two following readers stay open on the live database for
// the whole run, across writers and hand-offs: a SlateDB DbReader and our mode=reader table in a
// second sqlite3 shell, each polling on its own every FOLLOW_POLL_MS; after every step each must
// catch up with the writer within FOLLOW_BOUND_MS and then agree exactly.  On a divergence the history is shrunk (delta debugging
// over its steps, then over the operations of its batches) and written as a replayable script.
//
//   node difftest.mjs [--seed N] [--steps N] [--time S] [--so PATH] [--dir DIR]
//                     [--exclude KIND,...] [--no-shrink] [--shrink-time S] [--out FILE] [-v]
//   node difftest.mjs --replay FILE [...]
//
//   --seed N        history seed (default: random, printed)
//   --steps N       number of steps (default: as many as fit in --time)
//   --time S        time budget of the run when --steps is not given (default 60)
//   --exclude K,..  step kinds never generated (see KINDS below); a known divergence is excluded
//                   this way by the bounded run of `make test`
//   --out FILE      where the shrunk failing history goes (default build/difftest/fail-<seed>.jsonl)
//   --replay FILE   replay a history written by --out (or --record) instead of generating one
//   --record FILE   also write the generated history to FILE
//   --shrink-any    accept any failure while shrinking (default: one of the same kind)
//   --s3 URL        run on s3://bucket[/prefix]/run-<id>/db instead of a local directory (both
//                   engines take the endpoint and credentials from the AWS_* environment)
//   --faults P      with --s3: the proxy ($SDB_TEST_PROXY, scripts/s3/s3proxy.py) injects faults
//                   into each request with probability P (503, 500 after the write was applied,
//                   dropped connections before/after/mid-body; no truncated bodies with a matching
//                   Content-Length: SlateDB 0.12.1 panics on those); a commit of ours
//                   that fails must then be all or nothing, everything else must match exactly
//   --keep          keep the database directory (printed) of the last replay
//
// A history file is JSON lines: a header {"difftest":1,"seed":..,"exclude":[..]} and one step
// per line, e.g. {"t":"write","c":123,"ops":[["p","6b01","76"],["p","6b02","",{"ttl":5}],
// ["d","6b01"],["m","6b03","2b31"]]} (keys and values in hex, a large value as {"n":LEN,"s":SEED}),
// {"t":"handoff","c":..}.  "c" seeds the random reads checked after the step.
//
// SlateDB's writer runs its background compactor (100 ms poll), ours compacts on 'compact'.
// Step KINDS: write (a batch of 1 to thousands of puts, TTL puts, deletes and, when SlateDB
// writes, concat merges), flush-wal, flush-memtable, compact (ours: the 'compact' command), gc
// (ours: 'gc 0'), reopen (the writer closes and opens again), handoff (the other engine becomes
// the writer of the same directory: the protocol's fencing), kill9 (kill -9 of our sqlite3
// shell, at a random moment during a commit: the commit is all or nothing), checkpoint (ours:
// 'checkpoint'; later checks read a random checkpoint with our checkpoint= reader and with a
// SlateDB DbReader pinned to it, against the model as it was).
//
// Exit status: 0 no divergence, 1 divergence (or an engine error), 2 usage error or missing
// prerequisites.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SRC = path.resolve(HERE, "..", "..");
const ORACLE_DIR = process.env.SDB_ORACLE_DIR || path.join(SRC, ".oracle");
const KINDS = ["write", "flush-wal", "flush-memtable", "compact", "gc", "reopen", "handoff", "kill9", "checkpoint"];
const SHORT_TTL_MAX = 30;          // ms: rows that expire before the next step
const LONG_TTL = 3600000;          // ms: rows that never expire during a run
const L0_SST_SIZE = 262144;        // both writers: the memtable becomes an L0 at 256 KiB
const MAX_SST_SIZE = 65536;        // ours: compaction output SSTs of 64 KiB (multi-SST runs)
const FOLLOW_POLL_MS = 20;         // the following readers' poll intervals
const FOLLOW_BOUND_MS = 10000;     // a following reader must have caught up within this after a step
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Divergence extends Error {}
class UsageError extends Error {}

// ---------------------------------------------------------------- command line

function parseArgs(argv) {
  const o = { exclude: [], verbose: false, shrink: true, time: 60, shrinkTime: 300 };
  const need = (i) => { if (i + 1 >= argv.length) throw new UsageError(`${argv[i]} needs a value`); return argv[i + 1]; };
  const num = (s, n) => { if (!/^\d+$/.test(s)) throw new UsageError(`${n} wants a non-negative integer, not "${s}"`); return Number(s); };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case "--seed": o.seed = num(need(i), a); i++; break;
      case "--steps": o.steps = num(need(i), a); i++; break;
      case "--time": o.time = num(need(i), a); i++; break;
      case "--shrink-time": o.shrinkTime = num(need(i), a); i++; break;
      case "--so": o.so = path.resolve(need(i)); i++; break;
      case "--dir": o.dir = path.resolve(need(i)); i++; break;
      case "--faults": o.faults = Number(need(i)); i++; if (!(o.faults >= 0 && o.faults < 1)) throw new UsageError("--faults wants a probability"); break;
      case "--s3": o.s3 = need(i); i++; if (!/^s3:\/\/[^/]+/.test(o.s3)) throw new UsageError("--s3 wants s3://bucket[/prefix]"); break;
      case "--out": o.out = path.resolve(need(i)); i++; break;
      case "--record": o.record = path.resolve(need(i)); i++; break;
      case "--replay": o.replay = path.resolve(need(i)); i++; break;
      case "--exclude": o.exclude = need(i).split(",").filter(Boolean); i++; break;
      case "--no-shrink": o.shrink = false; break;
      case "--keep": o.keep = true; break;
      case "--shrink-any": o.shrinkAny = true; break;
      case "-v": case "--verbose": o.verbose = true; break;
      default: throw new UsageError(`unknown argument ${a}`);
    }
  }
  for (const k of o.exclude) if (!KINDS.includes(k)) throw new UsageError(`--exclude: unknown step kind ${k} (${KINDS.join(", ")})`);
  if (o.exclude.includes("write")) throw new UsageError("--exclude write leaves nothing to test");
  o.so = o.so || process.env.SDB_SO || path.join(SRC, "slatedb.so");
  return o;
}

// ---------------------------------------------------------------- seeded randomness

// sfc32, seeded through splitmix32: small, fast, deterministic across platforms.
class Rng {
  constructor(seed) {
    let x = (Number(seed) >>> 0) ^ 0x6d2b79f5;
    const mix = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = mix(); this.b = mix(); this.c = mix(); this.d = mix();
    for (let i = 0; i < 12; i++) this.u32();
  }
  u32() {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }
  below(n) { return Math.floor((this.u32() / 4294967296) * n); }
  range(lo, hi) { return lo + this.below(hi - lo + 1); }
  chance(p) { return this.u32() / 4294967296 < p; }
  pick(a) { return a[this.below(a.length)]; }
  hex(n) { let s = ""; for (let i = 0; i < n; i++) s += (this.u32() & 0xff).toString(16).padStart(2, "0"); return s; }
}

// A large value {n, s}: n bytes from its own seed, made fast (a 4 KiB pattern repeated with a
// counter, so that blocks differ).
function bigValueHex(n, s) {
  const r = new Rng(s);
  const pat = Buffer.from(r.hex(4096), "hex");
  const b = Buffer.alloc(n);
  for (let off = 0, i = 0; off < n; off += 4096, i++) {
    pat.copy(b, off, 0, Math.min(4096, n - off));
    if (off + 4 <= n) b.writeUInt32BE(i, off);
  }
  return b.toString("hex");
}
const valueHex = (v) => (typeof v === "string" ? v : bigValueHex(v.n, v.s));

// ---------------------------------------------------------------- history generation

// The key pool: binary keys sharing long prefixes (00/ff bytes, prefix pairs), a few hot keys.
function keyPool(rng) {
  const prefixes = [rng.hex(rng.range(1, 3)), rng.hex(rng.range(40, 120)), "00".repeat(rng.range(8, 300)), "ff" + rng.hex(20)];
  const keys = new Set();
  const n = rng.range(40, 300);
  while (keys.size < n) {
    const p = rng.pick(prefixes);
    let tail = rng.hex(rng.range(0, 6));
    if (rng.chance(0.2)) tail += rng.pick(["00", "ff", "0000", "ffff"]);
    const k = p + tail;
    if (k.length > 0) keys.add(k);
    if (rng.chance(0.1) && keys.size) {         // a prefix relation with an existing key
      const base = rng.pick([...keys]);
      keys.add(base + rng.pick(["00", "01", "ff"]));
      if (base.length > 2) keys.add(base.slice(0, base.length - 2));
    }
  }
  const list = [...keys].sort();
  return { list, hot: Array.from({ length: 4 }, () => rng.pick(list)) };
}

function genValue(rng) {
  const r = rng.below(1000);
  if (r < 80) return "";
  if (r < 992) return rng.hex(rng.range(1, 64));
  if (r < 998) return { n: rng.range(4096, 200000), s: rng.u32() };
  return { n: rng.range(1 << 20, 3 << 20), s: rng.u32() };      // a few MiB, rare
}

function genBatchSize(rng) {
  const r = rng.below(100);
  if (r < 55) return 1;
  if (r < 85) return rng.range(2, 20);
  if (r < 97) return rng.range(21, 300);
  return rng.range(1000, 3000);
}

// One step from the generator state g = { rng, pool, writer ("us"|"slate"), exclude }.
function genStep(g) {
  const { rng } = g;
  const weights = { write: 60, "flush-wal": 5, "flush-memtable": 7, compact: 4, gc: 3, reopen: 4, handoff: 6, kill9: 3, checkpoint: 2 };
  for (const k of g.exclude) delete weights[k];
  let total = 0; for (const w of Object.values(weights)) total += w;
  let r = rng.below(total), kind = "write";
  for (const [k, w] of Object.entries(weights)) { if (r < w) { kind = k; break; } r -= w; }
  const step = { t: kind, c: rng.u32() };
  if (kind === "write" || kind === "kill9") {
    const n = kind === "kill9" ? rng.range(1, 400) : genBatchSize(rng);
    const ops = [];
    for (let i = 0; i < n; i++) {
      const key = rng.chance(0.25) ? rng.pick(g.pool.hot) : rng.pick(g.pool.list);
      const x = rng.below(100);
      if (x < 12) ops.push(["d", key]);
      else if (x < 30 && g.writer === "slate") ops.push(rng.chance(0.1) ? ["m", key, rng.hex(rng.range(0, 6)), { ttl: LONG_TTL }] : ["m", key, rng.hex(rng.range(0, 6))]);
      else if (x < 38) ops.push(["p", key, genValue(rng), { ttl: rng.chance(0.6) ? rng.range(1, SHORT_TTL_MAX) : LONG_TTL }]);
      else ops.push(["p", key, genValue(rng)]);
    }
    step.ops = ops;
  }
  if (kind === "handoff") g.writer = g.writer === "us" ? "slate" : "us";
  return step;
}

// ---------------------------------------------------------------- our engine: a sqlite3 shell

// A long-lived `sqlite3` shell with stderr folded into stdout; each request ends with a
// sentinel SELECT whose line delimits the answer.
class Shell {
  constructor(so, verbose) { this.so = so; this.verbose = verbose; this.n = 0; this.proc = null; this.tables = new Set(); }

  start() {
    this.proc = spawn("sh", ["-c", "exec sqlite3 -batch 2>&1"], { stdio: ["pipe", "pipe", "inherit"] });
    this.buf = "";
    this.lines = [];
    this.waiter = null;
    this.dead = false;
    this.proc.stdout.setEncoding("latin1");
    this.proc.stdout.on("data", (d) => {
      this.buf += d;
      let i;
      while ((i = this.buf.indexOf("\n")) >= 0) { this.lines.push(this.buf.slice(0, i)); this.buf = this.buf.slice(i + 1); }
      this.poke();
    });
    this.proc.on("exit", () => { this.dead = true; this.poke(); });
    this.proc.stdin.on("error", () => {});
    this.proc.stdin.write(`.load ${this.so}\n.mode list\n.separator " "\n.headers off\n.nullvalue -\n`);
  }

  poke() { if (this.waiter) { const w = this.waiter; this.waiter = null; w(); } }

  // Run SQL text; return the output lines before the sentinel.  Throws on error output
  // (lines that are not rows "R ...") unless allowErrors.
  async run(sql, { allowErrors = false } = {}) {
    const tag = `@@END ${++this.n}`;
    this.proc.stdin.write(`${sql}\nSELECT '${tag}';\n`);
    for (;;) {
      const at = this.lines.indexOf(tag);
      if (at >= 0) {
        const out = this.lines.splice(0, at + 1);
        out.pop();
        const bad = out.filter((l) => !l.startsWith("R "));
        if (bad.length && !allowErrors) throw new Divergence(`our engine reported: ${bad.join(" | ").slice(0, 600)}`);
        return out;
      }
      if (this.dead) throw new Divergence(`the sqlite3 shell exited: ${this.lines.join(" | ").slice(0, 600)}`);
      await new Promise((r) => { this.waiter = r; });
    }
  }

  // Send SQL without waiting (for kill9).
  send(sql) { this.proc.stdin.write(`${sql}\n`); }

  async quit() {
    if (!this.proc || this.dead) return;
    this.proc.stdin.end(".quit\n");
    while (!this.dead) await new Promise((r) => { this.waiter = r; });
  }

  async kill9() {
    if (!this.proc || this.dead) return;
    this.proc.kill("SIGKILL");
    while (!this.dead) await new Promise((r) => { this.waiter = r; });
  }
}

const blob = (h) => `X'${h}'`;

// Our view of the database through table `t` of a shell.
class SqlView {
  constructor(shell, table, isReader, name) { this.shell = shell; this.t = table; this.isReader = isReader; this.name = name ?? (isReader ? "our reader" : "our writer"); }
  async prepare() { if (this.isReader) await this.shell.run(`INSERT INTO ${this.t}(${this.t}) VALUES ('refresh');`); }
  rows(lines) {
    return lines.map((l) => {
      const f = l.split(" ");
      return { k: f[1].toLowerCase(), v: f[2].toLowerCase(), seq: f[3], cts: f[4], ets: f[5] === "-" ? null : f[5] };
    });
  }
  async scan(r) {
    const w = [];
    if (r.lo !== undefined) w.push(`key ${r.loInc ? ">=" : ">"} ${blob(r.lo)}`);
    if (r.hi !== undefined) w.push(`key ${r.hiInc ? "<=" : "<"} ${blob(r.hi)}`);
    const sql = `SELECT 'R', hex(key), hex(value), seq, create_ts, expire_ts FROM ${this.t}` +
      (w.length ? ` WHERE ${w.join(" AND ")}` : "") + ` ORDER BY key ${r.desc ? "DESC" : "ASC"};`;
    return this.rows(await this.shell.run(sql));
  }
  async get(k) {
    const out = this.rows(await this.shell.run(`SELECT 'R', hex(key), hex(value), seq, create_ts, expire_ts FROM ${this.t} WHERE key = ${blob(k)};`));
    if (out.length > 1) throw new Divergence(`${this.name}: key = ${k} returned ${out.length} rows`);
    return out[0] ?? null;
  }
  async inList(keys) {
    return this.rows(await this.shell.run(`SELECT 'R', hex(key), hex(value), seq, create_ts, expire_ts FROM ${this.t} WHERE key IN (${keys.map(blob).join(", ")}) ORDER BY key;`));
  }
}

// ---------------------------------------------------------------- SlateDB 0.12.1

let S = null;
async function binding() {
  if (S) return S;
  const entry = path.join(ORACLE_DIR, "node_modules", "@slatedb", "uniffi", "index.js");
  if (!fs.existsSync(entry)) throw new UsageError(`${entry} is missing; run scripts/oracle-install.sh`);
  S = await import(pathToFileURL(entry).href);
  return S;
}

const concat = {
  merge(_key, existing, operand) {
    if (existing === undefined || existing === null) return Buffer.from(operand);
    return Buffer.concat([Buffer.from(existing), Buffer.from(operand)]);
  },
};

const toRow = (kv) => ({
  k: Buffer.from(kv.key).toString("hex"), v: Buffer.from(kv.value).toString("hex"),
  seq: String(kv.seq), cts: String(kv.create_ts), ets: kv.expire_ts === undefined || kv.expire_ts === null ? null : String(kv.expire_ts),
});

// SlateDB's view: a Db (writer) or a DbReader.
class SlateView {
  constructor(handle, isReader, name) { this.db = handle; this.isReader = isReader; this.name = name ?? (isReader ? "SlateDB reader" : "SlateDB writer"); }
  async prepare() {}
  async scan(r) {
    const range = {
      start: r.lo === undefined ? undefined : Buffer.from(r.lo, "hex"), start_inclusive: r.lo === undefined ? true : r.loInc,
      end: r.hi === undefined ? undefined : Buffer.from(r.hi, "hex"), end_inclusive: r.hi === undefined ? false : r.hiInc,
    };
    // SlateDB refuses a range that holds no key by its bounds (start after end, or start = end
    // not both inclusive) with ErrorInvalid; our SQL answers no rows, which is what it means.
    if (r.lo !== undefined && r.hi !== undefined && (r.lo > r.hi || (r.lo === r.hi && !(r.loInc && r.hiInc)))) {
      try { await this.db.scan(range); } catch (e) { if (e instanceof S.ErrorInvalid) return []; throw e; }
      throw new Divergence(`${this.name}: scan of an empty range did not fail as SlateDB 0.12.1 does`);
    }
    const it = await this.db.scan_with_options(range, {
      durability_filter: S.DurabilityLevel.Memory, dirty: false, read_ahead_bytes: 1, cache_blocks: false,
      max_fetch_tasks: 1, order: r.desc ? S.IterationOrder.Descending : S.IterationOrder.Ascending,
    });
    const out = [];
    try { for (let kv = await it.next(); kv; kv = await it.next()) out.push(toRow(kv)); } finally { it.dispose(); }
    return out;
  }
  async get(k) {
    const key = Buffer.from(k, "hex");
    if (!this.isReader) { const kv = await this.db.get_key_value(key); return kv ? toRow(kv) : null; }
    const v = await this.db.get(key);
    return v === undefined ? null : { k, v: Buffer.from(v).toString("hex"), seq: null, cts: null, ets: null };
  }
  async inList(keys) {
    const out = [];
    for (const k of [...new Set(keys)].sort()) { const r = await this.get(k); if (r) out.push(r); }
    return out;
  }
}

// ---------------------------------------------------------------- the model

// key -> array of alternatives, each null (absent) or { v, commit, ttl, merged, vanish }.
// Several alternatives exist where the engines may legitimately differ from a plain map: a
// row with a short TTL may vanish at the next flush or compaction (SlateDB does not filter
// expired rows at read time), and so may what a merge built on it.
// What alternative a may become once its short-TTL base is dropped by a flush or compaction:
// nothing (a put), or its merge operands alone (or nothing, when a compaction folded them into
// the expired base first).
function vanished(a) {
  if (!a.merged) return [null];
  return [{ v: a.ops, ops: a.ops, commit: a.commit, ttl: null, merged: true, vanish: false }, null];
}

class Model {
  constructor() { this.map = new Map(); this.commits = []; }
  clone() { const m = new Model(); m.map = new Map(this.map); m.commits = this.commits; return m; }
  alts(k) { return this.map.get(k) ?? [null]; }
  set(k, alts) {
    const seen = new Set(), out = [];
    for (const a of alts) { const id = a ? `${a.v}|${a.ops}|${a.commit}|${a.vanish}` : "-"; if (!seen.has(id)) { seen.add(id); out.push(a); } }
    if (out.length === 1 && out[0] === null) this.map.delete(k); else this.map.set(k, out.length > 16 ? "*" : out);
  }
  // Apply one committed batch (ops already stripped of what the writer cannot do).  In a
  // SlateDB WriteBatch, a key's merge operands and the put (or tombstone) they follow are
  // folded only while their expire_ts agree (MergeOperatorIterator with
  // merge_different_expire_ts=false); the unfolded rows share one seq and the memtable keeps
  // the last one inserted, so such a key's value is left to the engines to agree on ("*").
  apply(ops, commit, slate = false) {
    const unknown = new Set();
    if (slate) {
      const tail = new Map();
      for (const op of ops) {
        if (op[0] !== "m") tail.set(op[1], [op]);
        else (tail.get(op[1]) ?? tail.set(op[1], []).get(op[1])).push(op);
      }
      for (const [k, t] of tail) {
        const ttls = new Set(t.map((o) => (o[0] === "d" ? null : o[3]?.ttl ?? null)));
        if (t.some((o) => o[0] === "m") && ttls.size > 1) unknown.add(k);
      }
    }
    this.applyOps(ops, commit);
    for (const k of unknown) this.map.set(k, "*");
  }

  applyOps(ops, commit) {
    for (const op of ops) {
      const [t, k] = op;
      if (t === "d") { this.set(k, [null]); continue; }
      const v = valueHex(op[2]);
      const ttl = op[3]?.ttl ?? null;
      if (t === "p") {
        const a = { v, ops: "", commit, ttl, merged: false, vanish: ttl !== null && ttl < LONG_TTL };
        this.set(k, [a, ...(a.vanish ? vanished(a) : [])]);
        continue;
      }
      const cur = this.map.get(k) ?? [null];
      if (cur === "*") continue;
      const next = [];
      for (const a of cur) {
        const m = a ? { v: a.v + v, ops: a.ops + v, commit, ttl: null, merged: true, vanish: a.vanish }
          : { v, ops: v, commit, ttl: null, merged: true, vanish: false };
        next.push(m);
        if (m.vanish) next.push(...vanished(m));
      }
      this.set(k, next);
    }
  }
}

// ---------------------------------------------------------------- the run

class Run {
  constructor(opt, exclude) {
    this.opt = opt;
    this.exclude = exclude;
    this.checks = 0;
    this.quirks = { descMultiSst: 0, pointRangeVersions: 0, checkpointReads: 0 };
    this.skippedMerges = 0;
    this.expiredSkips = 0;
    this.kinds = {};
    this.kills = { applied: 0, lost: 0 };
    this.failedCommits = { applied: 0, lost: 0 };
    this.follow = { slateOpened: 0, oursOpened: 0, reads: 0, checks: 0, late: 0, maxWaitMs: 0, faultErrors: 0 };
    this.log = opt.verbose ? (s) => console.error(s) : () => {};
  }

  async setup() {
    await binding();
    if (this.opt.s3) {
      // a fresh prefix per replay under the given s3:// location; SlateDB addresses it as
      // (store s3://bucket/.../run-X, path db), we by its full URL
      const run = `run-${Date.now().toString(36)}-${(Math.random() * 1e9 >>> 0).toString(36)}`;
      this.root = null;
      this.dbDir = `${this.opt.s3.replace(/\/+$/, "")}/${run}/db`;
      this.store = S.ObjectStore.resolve(`${this.opt.s3.replace(/\/+$/, "")}/${run}`);
    } else {
      this.root = fs.mkdtempSync(path.join(this.opt.dir || process.env.TMPDIR || os.tmpdir(), "difftest-"));
      this.dbDir = path.join(this.root, "db");
      this.store = S.ObjectStore.resolve(pathToFileURL(this.root).href);
    }
    if (this.opt.faults) await this.setFaults(this.opt.faults);
    this.model = new Model();
    this.writer = "us";
    this.checkpoints = [];
    this.shell = null;
    this.slate = null;
    this.slateFollower = null;
    this.followShell = null;
    await this.openUs();
    await this.openSlateFollower();
    await this.openOurFollower();
  }

  // The following readers: one of each engine, opened on the live database and kept open across
  // steps and writers (each polls on its own every FOLLOW_POLL_MS); checkFollowers compares them.
  async openSlateFollower() {
    const b = new S.DbReaderBuilder("db", this.store);
    try {
      b.with_merge_operator(concat);
      b.with_options({ manifest_poll_interval_ms: FOLLOW_POLL_MS, checkpoint_lifetime_ms: 600000, max_memtable_bytes: 64 << 20, skip_wal_replay: false });
      this.slateFollower = await b.build();
    } finally { b.dispose(); }
    this.follow.slateOpened++;
  }

  async closeSlateFollower() {
    if (!this.slateFollower) return;
    const rd = this.slateFollower;
    this.slateFollower = null;
    try { await rd.shutdown(); } finally { rd.dispose(); }
  }

  async openOurFollower() {
    this.followShell = new Shell(this.opt.so, this.opt.verbose);
    this.followShell.start();
    await this.followShell.run(`CREATE VIRTUAL TABLE f USING slatedb('${this.dbDir}', mode=reader, poll_interval='${FOLLOW_POLL_MS}ms', key_type=blob, value_type=blob, merge_operator=concat);`);
    await this.followShell.run("SELECT 'R', count(*) FROM f;");
    this.follow.oursOpened++;
  }

  async closeOurFollower() {
    if (!this.followShell) return;
    const sh = this.followShell;
    this.followShell = null;
    await sh.quit();
  }

  // After a hand-off: the following reader of the old writer's engine is either kept (it must
  // go on following the new writer, which fenced the old one) or closed and opened afresh, as
  // bit 8 of the step's seed says.
  async handoffFollowers(st, oldWriter) {
    if (!((st.c >>> 8) & 1)) return;
    if (oldWriter === "us") { await this.closeOurFollower(); await this.openOurFollower(); }
    else { await this.closeSlateFollower(); await this.openSlateFollower(); }
  }

  // Install the proxy's fault rules (seeded by the history's seed), or clear them with p = 0.
  async setFaults(p) {
    const proxy = process.env.SDB_TEST_PROXY;
    if (!proxy) throw new UsageError("--faults needs the S3 proxy ($SDB_TEST_PROXY; scripts/s3/lib.sh s3_start)");
    const rules = p ? [
      { prob: p, status: 503 },
      { prob: p / 2, status: 500, after_forward: true },
      { prob: p, drop: "before" },
      { prob: p / 2, drop: "after" },
      { method: "GET", prob: p, drop: "mid_body" },
    ] : [];
    const r = await fetch(`${proxy}/__proxy/rules?seed=${this.opt.faultSeed ?? 1}`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(rules),
    });
    if (!r.ok) throw new UsageError(`the S3 proxy refused the fault rules: ${r.status}`);
  }

  async teardown() {
    if (this.opt.faults) { try { await this.setFaults(0); } catch {} }
    try { if (this.shell) await this.shell.quit(); } catch {}
    try { await this.closeOurFollower(); } catch {}
    try { await this.closeSlateFollower(); } catch {}
    try { if (this.slate) { await this.slate.shutdown(); this.slate.dispose(); } } catch {}
    this.shell = null; this.slate = null;
    try { this.store.dispose(); } catch {}
    if (this.opt.keep) console.error(`difftest: kept ${this.dbDir}`);
    else if (this.root) fs.rmSync(this.root, { recursive: true, force: true });
  }

  // Our writer: a fresh shell with table w on the directory.
  async openUs() {
    this.shell = new Shell(this.opt.so, this.opt.verbose);
    this.shell.start();
    await this.shell.run(`CREATE VIRTUAL TABLE w USING slatedb('${this.dbDir}', mode=writer, key_type=blob, value_type=blob, ` +
      `merge_operator=concat, compactor=true, compactor_poll_interval='1h', gc=true, gc_interval='1h', l0_max_ssts=100000, l0_sst_size_bytes=${L0_SST_SIZE}, max_sst_size=${MAX_SST_SIZE});`);
    await this.shell.run("SELECT 'R', count(*) FROM w;");   // open now: fence any other writer
  }

  // SlateDB's writer, with our reader table r in a fresh shell.
  async openSlate() {
    const st = S.Settings.default();
    // SlateDB's own size-tiered compactor runs in the background (polls every 100 ms, merges
    // 4 L0s or more), so reads race with its compactions as they would in production.
    st.set("compactor_options.poll_interval", JSON.stringify("100ms"));
    st.set("garbage_collector_options", "null");
    st.set("l0_max_ssts", "100000");
    st.set("l0_sst_size_bytes", String(L0_SST_SIZE));
    const b = new S.DbBuilder("db", this.store);
    try { b.with_settings(st); b.with_merge_operator(concat); this.slate = await b.build(); } finally { b.dispose(); st.dispose?.(); }
    this.shell = new Shell(this.opt.so, this.opt.verbose);
    this.shell.start();
    await this.shell.run(`CREATE VIRTUAL TABLE r USING slatedb('${this.dbDir}', mode=reader, key_type=blob, value_type=blob, merge_operator=concat);`);
  }

  async closeWriter() {
    if (this.writer === "us") { await this.shell.quit(); this.shell = null; return; }
    await this.slate.shutdown(); this.slate.dispose(); this.slate = null;
    await this.shell.quit(); this.shell = null;
  }

  async openWriter() { if (this.writer === "us") await this.openUs(); else await this.openSlate(); }

  // Apply one step and check.
  async step(st, i) {
    this.stepNo = i;
    this.kinds[st.t] = (this.kinds[st.t] ?? 0) + 1;
    switch (st.t) {
      case "write": await this.write(st.ops); break;
      case "flush-wal":
        if (this.writer === "us") await this.shell.run("INSERT INTO w(w) VALUES ('flush');");
        else await this.slate.flush_with_options({ flush_type: S.FlushType.Wal });
        break;
      case "flush-memtable":
        if (this.writer === "us") await this.shell.run("INSERT INTO w(w) VALUES ('flush-memtable');");
        else { await this.slate.flush_with_options({ flush_type: S.FlushType.Wal }); await this.slate.flush_with_options({ flush_type: S.FlushType.MemTable }); }
        break;
      case "compact": if (this.writer === "us") await this.shell.run("INSERT INTO w(w) VALUES ('compact');"); break;
      case "gc": if (this.writer === "us") await this.shell.run("INSERT INTO w(w) VALUES ('gc 0');"); break;
      case "reopen": await this.closeWriter(); await this.openWriter(); break;
      case "handoff": {
        const old = this.writer;
        await this.closeWriter(); this.writer = old === "us" ? "slate" : "us"; await this.openWriter();
        await this.handoffFollowers(st, old);
        break;
      }
      case "kill9": await this.kill9(st); break;
      case "checkpoint": await this.checkpoint(); break;
      default: throw new UsageError(`step ${i}: unknown kind ${st.t}`);
    }
    await this.check(st.c >>> 0);
  }

  // The operations the current writer can do (our SQL writes no merge operands).
  usable(ops) {
    if (this.writer === "slate") return ops;
    const out = ops.filter((o) => o[0] !== "m");
    this.skippedMerges += ops.length - out.length;
    return out;
  }

  sqlBatch(ops) {
    const parts = ["BEGIN;"];
    for (const o of ops) {
      if (o[0] === "d") parts.push(`DELETE FROM w WHERE key = ${blob(o[1])};`);
      else if (o[3]?.ttl !== undefined) parts.push(`INSERT OR REPLACE INTO w(key, value, ttl) VALUES (${blob(o[1])}, ${blob(valueHex(o[2]))}, ${o[3].ttl});`);
      else parts.push(`INSERT OR REPLACE INTO w(key, value) VALUES (${blob(o[1])}, ${blob(valueHex(o[2]))});`);
    }
    parts.push("COMMIT;");
    return parts.join("\n");
  }

  async write(allOps) {
    const ops = this.usable(allOps);
    if (!ops.length) return;
    const commit = this.model.commits.length;
    if (this.writer === "us") {
      this.model.commits.push({ seq: null, cts: null });
      try {
        await this.shell.run(this.sqlBatch(ops));
      } catch (e) {
        // with injected S3 faults a commit may fail (its error is reported): it must then be
        // all there or not at all, like a commit cut by kill -9
        if (!(e instanceof Divergence) || !this.opt.faults || this.shell.dead) throw e;
        this.log(`step ${this.stepNo}: commit failed under faults: ${e.message}`);
        await this.shell.run("ROLLBACK;", { allowErrors: true });
        const before = this.model.clone(), after = this.model.clone();
        after.apply(ops, commit);
        await this.settle(ops, before, after, this.failedCommits);
        return;
      }
    } else {
      const wb = new S.WriteBatch();
      for (const o of ops) {
        const b = (h) => Buffer.from(h, "hex");
        const ttl = o[3]?.ttl !== undefined ? S.Ttl.ExpireAfterTicks(o[3].ttl) : S.Ttl.Default();
        if (o[0] === "d") wb.delete(b(o[1]));
        else if (o[0] === "p") wb.put_with_options(b(o[1]), b(valueHex(o[2])), { ttl });
        else wb.merge_with_options(b(o[1]), b(valueHex(o[2])), { ttl });
      }
      const h = await this.slate.write_with_options(wb, { await_durable: false });
      wb.dispose?.();
      this.model.commits.push({ seq: String(h.seqnum), cts: String(h.create_ts) });
    }
    this.model.apply(ops, commit, this.writer === "slate");
  }

  // kill -9 of our shell while it commits a batch (SlateDB writing: a plain reopen of it).
  async kill9(st) {
    if (this.writer !== "us") { await this.closeWriter(); await this.openWriter(); return; }
    const ops = this.usable(st.ops);
    const before = this.model.clone();
    const commit = this.model.commits.length;
    this.model.commits.push({ seq: null, cts: null });
    const after = this.model.clone();
    after.apply(ops, commit);
    const delayMs = new Rng(st.c).below(10);
    this.shell.send(this.sqlBatch(ops));
    await new Promise((r) => setTimeout(r, delayMs));
    await this.shell.kill9();
    this.shell = null;
    await this.openUs();
    await this.settle(ops, before, after, this.kills);
  }

  // All or nothing: after a commit whose outcome is unknown, the keys of the batch read (through
  // our writer) as before it or as after it, every one of them; the model follows.
  async settle(ops, before, after, tally) {
    const keys = [...new Set(ops.map((o) => o[1]))];
    const view = new SqlView(this.shell, "w", false);
    const got = new Map((await view.inList(keys)).map((r) => [r.k, r]));
    const fits = (m) => keys.every((k) => this.matchAlt(m.alts(k), got.get(k) ?? null, false) !== undefined);
    this.checks++;
    if (fits(after)) { this.model = after; tally.applied++; }
    else if (fits(before)) { this.model = before; tally.lost++; }
    else this.fail(`a commit of ${ops.length} operations cut short (kill -9 or a failed commit)`, "the state is neither before nor after it");
  }

  // 'checkpoint' (ours; the binding cannot create one): pin the state, remember the model.
  async checkpoint() {
    if (this.writer !== "us") return;
    // ours never expire; the SlateDB following reader's own (with a lifetime) come and go
    const ids = async () => new Set((await this.shell.run("SELECT 'R', id FROM slatedb_checkpoints WHERE mode = 'writer' AND expire_time IS NULL;")).map((l) => l.slice(2)));
    const before = await ids();
    await this.shell.run("INSERT INTO w(w) VALUES ('checkpoint');");
    const added = [...(await ids())].filter((id) => !before.has(id));
    if (added.length !== 1) this.fail("checkpoint", `slatedb_checkpoints shows ${added.length} new checkpoints`);
    this.checkpoints.push({ id: added[0], model: this.model.clone() });
  }

  // One checkpoint, read by our checkpoint= reader and by SlateDB's DbReader pinned to it:
  // the same rows, and what the model held when it was taken.
  async checkCheckpoint(rng) {
    const n = rng.below(this.checkpoints.length);
    const cp = this.checkpoints[n];
    const t = `cp${n}`;
    if (!this.shell.tables.has(t)) {
      await this.shell.run(`CREATE VIRTUAL TABLE ${t} USING slatedb('${this.dbDir}', mode=reader, checkpoint='${cp.id}', key_type=blob, value_type=blob, merge_operator=concat);`);
      this.shell.tables.add(t);
    }
    const ours = await new SqlView(this.shell, t, false).scan({ desc: false });
    const b = new S.DbReaderBuilder("db", this.store);
    let rd;
    try { b.with_merge_operator(concat); b.with_checkpoint_id(cp.id); rd = await b.build(); } finally { b.dispose(); }
    let theirs;
    try { theirs = await new SlateView(rd, true).scan({ desc: false }); } finally { await rd.shutdown(); rd.dispose(); }
    this.same(ours, theirs, `full scan of checkpoint ${cp.id}`, "SlateDB checkpoint reader");
    const seen = new Map(ours.map((r) => [r.k, r]));
    for (const k of new Set([...seen.keys(), ...cp.model.map.keys()])) {
      this.checks++;
      const row = seen.get(k) ?? null;
      if (row && row.ets !== null && BigInt(row.ets) <= BigInt(Date.now())) continue;
      if (this.matchAlt(cp.model.alts(k), row, false) === undefined) {
        this.fail(`checkpoint ${cp.id} (taken ${n + 1}.): key ${k.slice(0, 80)}`, `our checkpoint reader has ${row ? row.v.slice(0, 80) : "nothing"}, not what the model held`);
      }
    }
    this.quirks.checkpointReads++;
  }

  // The alternative of `alts` that row (or null) matches, or undefined.  metaToo also checks
  // seq / create_ts / expire_ts against the commit (learning a commit's seq and create_ts the
  // first time one of its rows is seen).
  matchAlt(alts, row, metaToo) {
    if (alts === "*") return null;
    for (const a of alts) {
      if (a === null) { if (row === null) return null; continue; }
      if (row === null || row.v !== a.v) continue;
      if (metaToo && !this.metaFits(a, row)) continue;
      return a;
    }
    return undefined;
  }

  metaFits(a, row) {
    if (row.seq === null) return true;          // a DbReader get carries no metadata
    const c = this.model.commits[a.commit];
    if (c.seq === null) {
      // learn it: sequence numbers grow with commits
      for (let j = 0; j < this.model.commits.length; j++) {
        const o = this.model.commits[j];
        if (o.seq === null || j === a.commit) continue;
        if ((j < a.commit) !== (BigInt(o.seq) < BigInt(row.seq))) return false;
      }
      c.seq = row.seq; c.cts = row.cts;
    }
    if (c.seq !== row.seq || c.cts !== row.cts) return false;
    if (a.merged) return true;                 // a merged row's expire_ts comes from its parts
    const want = a.ttl === null ? null : String(BigInt(c.cts) + BigInt(a.ttl));
    return row.ets === want;
  }

  fail(what, detail) {
    throw new Divergence(`step ${this.stepNo} (${this.writer} writing): ${what}${detail ? `: ${detail}` : ""}`);
  }

  // Views after a step: the writer's, and the other engine's reader on the same directory.
  async views() {
    if (this.writer === "us") {
      const b = new S.DbReaderBuilder("db", this.store);
      let rd;
      try { b.with_merge_operator(concat); rd = await b.build(); } finally { b.dispose(); }
      return { w: new SqlView(this.shell, "w", false), x: new SlateView(rd, true), close: async () => { await rd.shutdown(); rd.dispose(); } };
    }
    await this.slate.flush_with_options({ flush_type: S.FlushType.Wal });
    const x = new SqlView(this.shell, "r", true);
    await x.prepare();
    return { w: new SlateView(this.slate, false), x, close: async () => {} };
  }

  // Does the manifest list a sorted run of several SSTs (where SlateDB's descending scan is
  // known to go wrong)?
  multiSstRun() {
    if (!this.root) return true;                 // S3: not listed; the rule applies whenever needed
    const dir = path.join(this.dbDir, "compacted");
    return fs.existsSync(dir) && fs.readdirSync(dir).filter((n) => n.endsWith(".sst")).length > 1;
  }

  async check(cseed) {
    // the following readers first, right after the step (before the writer's own checks give
    // them time to poll), against the writer's full scan; checkViews then checks that scan
    // against the model
    if (this.writer === "slate") await this.slate.flush_with_options({ flush_type: S.FlushType.Wal });
    const wv = this.writer === "us" ? new SqlView(this.shell, "w", false) : new SlateView(this.slate, false);
    const asc = await wv.scan({ desc: false });
    await this.checkFollowers(asc, new Rng((cseed ^ 0x5f01104e) >>> 0));
    const v = await this.views();
    try { await this.checkViews(v, asc, new Rng(cseed)); } finally { await v.close(); }
  }

  // The following readers (SlateDB's DbReader and our mode=reader table, open since the start
  // or their last reopen): each must show, within FOLLOW_BOUND_MS, exactly what the writer's
  // full scan asc showed (checked against the model); once it does, a random range (either
  // order) and two point gets must agree exactly too.  One that never catches up diverges.
  async checkFollowers(asc, rng) {
    const views = [];
    if (this.slateFollower) views.push(new SlateView(this.slateFollower, true, "SlateDB following reader"));
    if (this.followShell) views.push(new SqlView(this.followShell, "f", true, "our following reader"));
    for (const view of views) {
      // with injected S3 faults a read may fail (an error, not a wrong answer): read again,
      // within the same bound
      const t0 = Date.now();
      for (;;) {
        try { await this.checkFollower(view, asc, rng, t0); break; } catch (e) {
          const fault = !(e instanceof Divergence) || e.message.startsWith("our engine reported");
          if (!this.opt.faults || !fault || Date.now() - t0 > FOLLOW_BOUND_MS) throw e;
          this.log(`step ${this.stepNo}: ${view.name} failed under faults: ${e.message}`);
          this.follow.faultErrors++;
          await sleep(FOLLOW_POLL_MS);
        }
      }
    }
  }

  // One following reader: caught up with asc (the bound counted from t0), then exact.
  async checkFollower(view, asc, rng, t0) {
    const keys = asc.map((r) => r.k);
    await this.caughtUp(view, asc, t0);
    const r = { lo: keys.length ? rng.pick(keys) : undefined, hi: undefined, loInc: rng.chance(0.5), hiInc: false, desc: rng.chance(0.5) };
    const want = asc.filter((row) => r.lo === undefined || (r.loInc ? row.k >= r.lo : row.k > r.lo));
    const got = await view.scan(r);
    const desc = `range ${r.loInc ? "[" : "("}${r.lo ?? "-inf"}, +inf) ${r.desc ? "desc" : "asc"}`;
    if (r.desc) await this.sameDesc(want, got, desc, view, r); else this.same(want, got, desc, view.name);
    for (let n = 0; n < 2; n++) {
      const k = keys.length && rng.chance(0.8) ? rng.pick(keys) : rng.hex(rng.range(1, 8));
      this.same(asc.find((x) => x.k === k) ?? null, await view.get(k), `get ${k.slice(0, 80)}`, view.name);
    }
    this.follow.checks++;
  }

  // Wait (polling at the reader's own interval) until view's full scan is asc; fail after
  // FOLLOW_BOUND_MS with the last difference.
  async caughtUp(view, asc, t0) {
    for (let n = 1; ; n++) {
      const d = this.firstDiff(asc, await view.scan({ desc: false }));
      this.follow.reads++;
      this.checks++;
      if (!d) {
        if (n > 1) { this.follow.late++; this.follow.maxWaitMs = Math.max(this.follow.maxWaitMs, Date.now() - t0); }
        return;
      }
      if (Date.now() - t0 > FOLLOW_BOUND_MS) this.fail(`full scan: ${view.name} did not catch up within ${FOLLOW_BOUND_MS} ms (${n} reads)`, `it differs${d.at}: ${d.detail}`);
      await sleep(FOLLOW_POLL_MS);
    }
  }

  same(a, b, what, viewName, meta = true) {
    this.checks++;
    const d = this.firstDiff(a, b, meta);
    if (d) this.fail(`${what}: ${viewName} differs${d.at}`, d.detail);
  }

  // The first difference between two reads a (expected) and b (rows or one row), as
  // { at, detail }, or null when they agree; keys whose TTL has passed are left out.
  firstDiff(a, b, meta = true) {
    const fmt = (r) => (r ? `${r.k}=${r.v.length > 40 ? r.v.slice(0, 40) + "..(" + r.v.length / 2 + " bytes)" : r.v}` + (meta && r.seq !== null ? `@${r.seq}/${r.cts}/${r.ets}` : "") : "none");
    const eq = (x, y) => (x === null || y === null ? x === y : x.k === y.k && x.v === y.v &&
      (!meta || x.seq === null || y.seq === null || (x.seq === y.seq && x.cts === y.cts && x.ets === y.ets)));
    // A row whose TTL has passed may vanish (or a merge built on it change) at any moment: the
    // writer's background L0 flush rewrites it.  Such keys are left out of comparisons of two
    // reads made at different moments (the model check covers them).
    const now = BigInt(Date.now());
    const expired = (r) => r && r.ets !== null && BigInt(r.ets) <= now;
    if (Array.isArray(a)) {
      const gone = new Set([...a, ...b].filter(expired).map((r) => r.k));
      if (gone.size) { a = a.filter((r) => !gone.has(r.k)); b = b.filter((r) => !gone.has(r.k)); this.expiredSkips += gone.size; }
    } else if (expired(a) || expired(b)) {
      this.expiredSkips++;
      return null;
    }
    if (Array.isArray(a)) {
      for (let i = 0; i < Math.max(a.length, b.length); i++) {
        if (!eq(a[i] ?? null, b[i] ?? null)) return { at: ` at row ${i}`, detail: `expected ${fmt(a[i])}, got ${fmt(b[i])} (${a.length} vs ${b.length} rows)` };
      }
    } else if (!eq(a, b)) {
      return { at: "", detail: `expected ${fmt(a)}, got ${fmt(b)}` };
    }
    return null;
  }

  // A descending scan by SlateDB: it must be the ascending one reversed.  Over sorted runs of
  // several SSTs SlateDB 0.12.1's descending scan is wrong (it repeats keys, misorders them
  // and shows shadowed versions: a known bug).  What it means is its ascending scan of the
  // same range reversed: that is compared exactly instead, and counted.
  async sameDesc(expectAsc, got, what, view, r) {
    const want = expectAsc.slice().reverse();
    if (view instanceof SlateView) {
      const ok = want.length === got.length && want.every((x, i) => x.k === got[i].k && x.v === got[i].v);
      if (!ok && this.multiSstRun()) {
        got = (await view.scan({ ...r, desc: false })).reverse();
        this.quirks.descMultiSst++;
        what += " (as SlateDB's ascending scan reversed: its descending scan over multi-SST runs is wrong)";
      }
    }
    this.same(want, got, what, view.name);
  }

  // asc: the writer's ascending full scan, read after the step
  async checkViews({ w, x }, asc, rng) {
    // 1. the writer's ascending full scan against the model
    this.checks++;
    for (let i = 1; i < asc.length; i++) if (!(asc[i - 1].k < asc[i].k)) this.fail("full scan", `${w.name} returned keys out of order at row ${i}`);
    const seen = new Map(asc.map((r) => [r.k, r]));
    const keys = new Set([...seen.keys(), ...this.model.map.keys()]);
    for (const k of keys) {
      const alts = this.model.alts(k);
      const row = seen.get(k) ?? null;
      const a = this.matchAlt(alts, row, true);
      this.checks++;
      if (a === undefined) {
        const want = alts === "*" ? "*" : alts.map((x) => (x ? `${x.v.slice(0, 40)}(commit ${x.commit}, ttl ${x.ttl}${x.merged ? ", merged" : ""})` : "absent")).join(" or ");
        this.fail(`full scan: key ${k.slice(0, 80)}`, `model expects ${want}; ${w.name} has ${row ? `${row.v.slice(0, 80)}@${row.seq}/${row.cts}/${row.ets}` : "nothing"}`);
      }
      // narrow the model to what is now the state
      if (alts !== "*") this.model.set(k, a === null ? [null] : (a.vanish ? [a, ...vanished(a)] : [a]));
    }
    // 2. the other engine's reader: the same rows, metadata included; both orders
    this.same(asc, await x.scan({ desc: false }), "full scan", x.name);
    await this.sameDesc(asc, await w.scan({ desc: true }), "full scan descending", w, { desc: true });
    await this.sameDesc(asc, await x.scan({ desc: true }), "full scan descending", x, { desc: true });
    // 3. random ranges
    const pool = [...keys];
    const bound = () => {
      const r = rng.below(10);
      if (!pool.length || r < 1) return undefined;
      const k = rng.pick(pool);
      if (r < 5) return k;                                  // on a key
      if (r < 7) return k + rng.pick(["00", "ff", "0000"]); // just after it
      if (r < 9 && k.length > 2) return k.slice(0, k.length - 2 * rng.range(1, Math.min(4, k.length / 2 - 0.5 | 0) || 1)); // a prefix
      return rng.hex(rng.range(1, 3));
    };
    for (let n = 0; n < 4; n++) {
      const r = { lo: bound(), hi: bound(), loInc: rng.chance(0.5), hiInc: rng.chance(0.5), desc: rng.chance(0.5) };
      if (rng.chance(0.15) && pool.length) { r.lo = r.hi = rng.pick(pool); r.loInc = r.hiInc = true; }
      const inRange = (k) => (r.lo === undefined || (r.loInc ? k >= r.lo : k > r.lo)) && (r.hi === undefined || (r.hiInc ? k <= r.hi : k < r.hi));
      const want = asc.filter((row) => inRange(row.k));
      const desc = `range ${r.loInc ? "[" : "("}${r.lo ?? "-inf"}, ${r.hi ?? "+inf"}${r.hiInc ? "]" : ")"} ${r.desc ? "desc" : "asc"}`;
      for (const view of [w, x]) {
        let got = await view.scan(r);
        if (view instanceof SlateView && r.lo !== undefined && r.lo === r.hi) got = this.pointRange(got, r.lo, view);
        if (r.desc) await this.sameDesc(want, got, desc, view, r); else this.same(want, got, desc, view.name);
      }
    }
    // 4. point gets and an IN-list
    const probe = () => (pool.length && rng.chance(0.8) ? rng.pick(pool) : rng.hex(rng.range(1, 8)));
    for (let n = 0; n < 4; n++) {
      const k = probe();
      for (const view of [w, x]) this.same(seen.get(k) ?? null, await view.get(k), `get ${k.slice(0, 80)}`, view.name);
    }
    const list = Array.from({ length: rng.range(1, 12) }, probe);
    const wantList = [...new Set(list)].sort().map((k) => seen.get(k)).filter(Boolean);
    for (const view of [w, x]) this.same(wantList, await view.inList(list), `IN-list of ${list.length} keys`, view.name);
    // 5. a checkpoint, if any
    if (this.checkpoints.length) await this.checkCheckpoint(rng);
  }

  // SlateDB's scan of [k, k] returns every retained version of k, newest first: the first row
  // is the answer (what SlateDB means), the rest must be older versions of k.
  pointRange(rows, k, view) {
    if (rows.length <= 1) return rows;
    for (let i = 1; i < rows.length; i++) {
      if (rows[i].k !== k || BigInt(rows[i].seq) >= BigInt(rows[i - 1].seq)) this.fail(`range [${k}, ${k}]`, `${view.name} returned row ${i} that is not an older version of the key`);
    }
    this.quirks.pointRangeVersions++;
    return rows.slice(0, 1);
  }
}

// ---------------------------------------------------------------- driving, shrinking

// Apply steps to a fresh directory; returns { ok, error, steps, checks, run }.
async function replay(opt, header, steps, { onStep } = {}) {
  const run = new Run({ ...opt, faultSeed: header.seed }, header.exclude ?? []);
  let done = 0;
  try {
    await run.setup();
    for (let i = 0; i < steps.length; i++) {
      await run.step(steps[i], i);
      done = i + 1;
      if (onStep && !onStep(run, done)) break;
    }
    return { ok: true, steps: done, run };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    return { ok: false, error: e instanceof Divergence ? e.message : `${e?.constructor?.name}: ${e?.message ?? e}`, steps: done + 1, run };
  } finally {
    await run.teardown();
  }
}

// Delta debugging over a list: the smallest sub-list (1-minimal, within the time budget) that
// still fails.
async function ddmin(items, fails, deadline) {
  let n = 2;
  while (items.length >= 2 && Date.now() < deadline) {
    const size = Math.ceil(items.length / n);
    let reduced = false;
    for (let i = 0; i < n && Date.now() < deadline; i++) {
      const complement = items.slice(0, i * size).concat(items.slice((i + 1) * size));
      if (complement.length && (await fails(complement))) { items = complement; n = Math.max(n - 1, 2); reduced = true; break; }
    }
    if (!reduced) { if (n >= items.length) break; n = Math.min(items.length, n * 2); }
  }
  return items;
}

// The kind of a failure, for shrinking: its message without the step number, keys, values and
// numbers (a shrink must keep failing the same way, not slip to another failure).
function signature(msg) {
  return msg.replace(/^step \d+ \((us|slate) writing\): /, "").replace(/\b[0-9a-f]{2,}\b/gi, "#").replace(/\d+/g, "#").slice(0, 80);
}

async function shrink(opt, header, steps, error) {
  const deadline = Date.now() + opt.shrinkTime * 1000;
  const want = signature(error);
  let tries = 0;
  const fails = async (s) => {
    tries++;
    const r = await replay(opt, header, s);
    return !r.ok && (opt.shrinkAny || signature(r.error) === want);
  };
  // steps after the failing one never matter
  steps = await ddmin(steps, fails, deadline);
  // then the operations of each batch, largest first
  const order = steps.map((s, i) => i).filter((i) => steps[i].ops && steps[i].ops.length > 1).sort((a, b) => steps[b].ops.length - steps[a].ops.length);
  for (const i of order) {
    if (Date.now() >= deadline) break;
    const ops = await ddmin(steps[i].ops, (o) => fails(steps.map((s, j) => (j === i ? { ...s, ops: o } : s))), deadline);
    steps = steps.map((s, j) => (j === i ? { ...s, ops } : s));
  }
  return { steps, tries, complete: Date.now() < deadline };
}

function writeHistory(file, header, steps) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, [JSON.stringify(header), ...steps.map((s) => JSON.stringify(s))].join("\n") + "\n");
}

function readHistory(file) {
  const lines = fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim() && !l.startsWith("#"));
  const header = JSON.parse(lines[0]);
  if (header.difftest !== 1) throw new UsageError(`${file}: not a difftest history (no {"difftest":1} header)`);
  return { header, steps: lines.slice(1).map((l) => JSON.parse(l)) };
}

function summary(run) {
  const q = run.quirks;
  const kinds = Object.entries(run.kinds).map(([k, n]) => `${k} ${n}`).join(", ");
  return `${run.checks} checks (steps: ${kinds}; kill -9 mid-commit: ${run.kills.applied} commits applied, ${run.kills.lost} not; ` +
    `${q.checkpointReads} checkpoint reads by both engines; following readers: SlateDB's opened ${run.follow.slateOpened} times, ours ${run.follow.oursOpened}, ` +
    `${run.follow.checks} compared, ${run.follow.late} of them caught up late (at most ${run.follow.maxWaitMs} ms, ${run.follow.reads} full scans` +
    (run.opt.faults ? `, ${run.follow.faultErrors} reads failed under faults and were repeated` : "") + ")" +
    (run.opt.faults ? `; S3 faults: ${run.failedCommits.applied + run.failedCommits.lost} commits failed, ${run.failedCommits.applied} of them applied` : "") + `); SlateDB quirks compared as meant: ${q.descMultiSst} descending scans over multi-SST runs, ` +
    `${q.pointRangeVersions} [k,k] scans with older versions; ${run.skippedMerges} merge operands skipped while we wrote, ` +
    `${run.expiredSkips} expired keys left out of comparisons between two reads`;
}

async function main() {
  const opt = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(opt.so)) throw new UsageError(`${opt.so} does not exist (build it with make)`);
  await binding();
  let header, steps;
  const t0 = Date.now();
  if (opt.replay) {
    ({ header, steps } = readHistory(opt.replay));
    console.log(`difftest: replaying ${opt.replay}: seed ${header.seed}, ${steps.length} steps`);
  } else {
    const seed = opt.seed ?? (Math.random() * 4294967296) >>> 0;
    header = { difftest: 1, seed, exclude: opt.exclude };
    const g = { rng: new Rng(seed), writer: "us", exclude: opt.exclude };
    g.pool = keyPool(g.rng);
    const max = opt.steps ?? 1000000;
    steps = [];
    // generate lazily: the run stops at --steps or at the time budget
    const gen = () => { while (steps.length < max && steps.length < 1000000) { steps.push(genStep(g)); return true; } return false; };
    console.log(`difftest: seed ${seed}, ${opt.steps !== undefined ? `${opt.steps} steps` : `steps for ${opt.time} s`}` +
      (opt.exclude.length ? `, excluding ${opt.exclude.join(", ")}` : ""));
    for (let i = 0; i < Math.min(max, 64); i++) gen();
    const res = await replay(opt, header, steps, {
      onStep: (run, done) => {
        if (opt.verbose && done % 50 === 0) console.error(`  step ${done}, ${run.checks} checks`);
        if (opt.steps === undefined && Date.now() - t0 > opt.time * 1000) return false;
        while (steps.length < done + 2 && gen());
        return true;
      },
    });
    steps.length = Math.min(steps.length, res.steps);
    if (opt.record) writeHistory(opt.record, header, steps);
    return finish(opt, header, steps, res, t0);
  }
  const res = await replay(opt, header, steps);
  return finish(opt, header, steps, res, t0);
}

async function finish(opt, header, steps, res, t0) {
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (res.ok) {
    console.log(`difftest: seed ${header.seed}: ${res.steps} steps, ${summary(res.run)}; no divergence (${secs} s)`);
    return 0;
  }
  console.log(`difftest: seed ${header.seed}: DIVERGENCE at step ${res.steps - 1} of ${steps.length}: ${res.error}`);
  let hist = steps.slice(0, res.steps);
  if (opt.shrink) {
    console.log(`difftest: shrinking ${hist.length} steps (at most ${opt.shrinkTime} s)...`);
    const s = await shrink(opt, header, hist, res.error);
    hist = s.steps;
    const again = await replay(opt, header, hist);
    console.log(`difftest: shrunk to ${hist.length} steps in ${s.tries} replays${s.complete ? "" : " (time budget reached)"}; it fails with: ${again.ok ? "(no longer fails: flaky)" : again.error}`);
  }
  const out = opt.out ?? path.join(SRC, "build", "difftest", `fail-${header.seed}.jsonl`);
  writeHistory(out, header, hist);
  console.log(`difftest: the history that replays it (${out}):`);
  const text = fs.readFileSync(out, "utf8");
  process.stdout.write(text.length > 20000 ? text.slice(0, 20000) + "...(truncated)\n" : text);
  console.log(`difftest: replay with: make difftest REPLAY=${out}`);
  return 1;
}

main().then((rc) => process.exit(rc), (e) => {
  if (e instanceof UsageError) { console.error(`difftest: ${e.message}`); process.exit(2); }
  console.error(`difftest: ${e?.stack ?? e}`);
  process.exit(1);
});
