#!/usr/bin/env node
// slatedb-tool.mjs: the test oracle of sqlite-slatedb.  It drives the real SlateDB 0.12.1
// (Rust) through its Node binding @slatedb/uniffi to write reference databases and to read
// databases back, in a line format that the C side can reproduce exactly.
//
// The binding is loaded from $SDB_ORACLE_DIR/node_modules (default: <repo>/.oracle), which
// scripts/oracle-install.sh fills.  Node 20 or newer.
//
//   node slatedb-tool.mjs <command> [arguments] [options]
//
//   gen   DB [settings] [workload]   write a new database from a seeded random workload
//   edge  DB [settings]              write the SST edge-case database
//   dump  DB [--meta] [--writer] [--descending] [--no-merge] [--in-place] [--out FILE]
//                                    print every visible key, sorted: "<key hex> <value hex>"
//                                    (an empty value leaves a trailing space); --meta appends
//                                    "<seq> <create_ts> <expire_ts or ->"; --descending scans
//                                    backwards (prints ascending), exit 1 if the order is wrong
//   check DB EXPECT [--writer] [--in-place]
//                                    check "<key hex> <value hex>" / "<key hex> -" lines
//   put   DB FILE|- [settings] [--batch N] [--end wal|memtable|none]
//                                    write "<key hex> <value hex>" lines ("-" = delete)
//   write DB FILE|- [settings]       run an operation script (see OPERATION SCRIPTS below)
//   info  DB                         summary of the newest manifest and of the object counts
//   defaults                         SlateDB's default Settings as JSON
//
// DB is a local directory (the database root holding manifest/, wal/, compacted/) or an
// object-store URL (file:///abs/dir/db, s3://bucket/prefix/db).  SlateDB addresses a database
// as (object store, path): the location is cut at its last "/".
//
// dump and check never touch a local database: opening a DbReader writes manifests (it adds
// and later removes a checkpoint) and a writer bumps the epoch and writes a fence WAL, so
// they work on a temporary copy.  --in-place skips the copy (URLs are always read in place).
//
// SETTINGS (gen, edge, put, write)
//   --codec none|snappy|zlib|lz4|zstd        compression_codec              (default none)
//   --block-size 1k|2k|4k|...|64k            SST block size                 (default 4k)
//   --l0-sst-size BYTES                      l0_sst_size_bytes (also the WAL size trigger)
//   --flush-interval MS                      WAL flush interval             (default 100)
//   --l0-max-ssts N                          default: 100000 when the compactor is off
//                                            (SlateDB stalls after 8 L0s with nothing compacting)
//   --compactor                              run the in-process compactor (poll 100 ms)
//   --gc                                     run the garbage collector (default: off)
//   --set KEY=JSON                           any Settings field by dotted key (repeatable)
//   --seed N                                 workload seed and DbBuilder.with_seed (default 1)
//   --no-merge                               no merge operator (default: concatenation)
//
// WORKLOAD (gen); each of --rounds rounds runs, in a shuffled order (every count may be a
// comma list, one entry per round, the last entry repeating):
//   --puts N       puts walking a shuffled cycle of the key space: the first --keys puts
//                  write every key once, later ones overwrite          (default: --keys)
//   --deletes N    deletes of already-written keys                     (default 0)
//   --merges N     merge operands "<r>.<i>;" on random keys            (default 0)
//   --ttl-short N  puts that expire after --short-ttl ms               (default 0)
//   --ttl-long N   puts that expire at 2100-01-01 (Ttl.ExpireAt)       (default 0)
//   --empty N      puts of empty values                                (default 0)
//   --short-ttl MS (default 1)
//   --keys N       key space size                                      (default 200)
//   --key-kind counter|text|binary|int64|uint64                        (default counter)
//                  counter: "k00000042"; text: random UTF-8 incl. numeric-looking strings;
//                  binary: random bytes incl. 00/ff and prefix pairs; int64: 8-byte big
//                  endian with the sign bit flipped; uint64: 8-byte big endian, < 2^63
//   --value-kind text|binary                                           (default text)
//   --value-size MIN[-MAX]                                             (default 8-40)
//   --batch N      group operations into WriteBatches of up to N (0 = single calls) (default 50)
//   --end LIST     per-round end: memtable (WAL + memtable flush) | wal | none; a comma list,
//                  the last entry repeats                              (default memtable)
//   --sleep MS     pause after each round (lets short TTLs expire)    (default 0)
//   --runs-after R1,R2.. with --compactor: after round Ri wait until there are i sorted runs
//                  (the size-tiered scheduler compacts 4 L0s into a new run) (default: last round)
//   --wait S       give up waiting for a sorted run after S seconds  (default 90)
//
// OPERATION SCRIPTS (write): one operation per line, fields separated by single spaces,
// keys and values in hex ("" or nothing = empty value), "#" comments:
//   put K V [ttl=MS|expire_at=MS|no_expiry]   merge K V [ttl=MS|...]   delete K
//   batch ... commit     group the operations in between into one WriteBatch
//   flush wal|memtable   sleep MS   snapshot (held until the end: pins old versions)
//
// Exit status: 0 ok, 1 check mismatch or SlateDB error, 2 usage error.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ORACLE_DIR = process.env.SDB_ORACLE_DIR || path.resolve(HERE, "..", "..", ".oracle");

class UsageError extends Error {}
const usage = (msg) => { throw new UsageError(msg); };

// ---------------------------------------------------------------- the binding

let sdb = null;
async function binding() {
  if (sdb) return sdb;
  const entry = path.join(ORACLE_DIR, "node_modules", "@slatedb", "uniffi", "index.js");
  if (!fs.existsSync(entry)) {
    console.error(`slatedb-tool: ${entry} is missing; run scripts/oracle-install.sh first`);
    process.exit(2);
  }
  sdb = await import(pathToFileURL(entry).href);
  return sdb;
}

// concatenation: merge(existing, x) = existing ++ x, merge(none, x) = x.  SlateDB 0.12.1 also
// calls the operator on lone operands with no existing value, so it must be the identity there.
const concat = {
  merge(_key, existing, operand) {
    if (existing === undefined || existing === null) return Buffer.from(operand);
    return Buffer.concat([Buffer.from(existing), Buffer.from(operand)]);
  },
};

// ---------------------------------------------------------------- command line

// Options with a value, flags without; anything else is positional.
const VALUE_OPTS = new Set([
  "codec", "block-size", "l0-sst-size", "flush-interval", "l0-max-ssts", "set", "seed",
  "puts", "deletes", "merges", "ttl-short", "ttl-long", "empty", "short-ttl", "keys",
  "key-kind", "value-kind", "value-size", "batch", "end", "sleep", "runs-after", "wait",
  "rounds", "out",
]);
const FLAG_OPTS = new Set(["compactor", "gc", "no-merge", "meta", "writer", "descending", "in-place", "help"]);

function parseCommandLine(argv) {
  const pos = [];
  const opt = { set: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--") || a === "-") { pos.push(a); continue; }
    let name = a.slice(2), val;
    const eq = name.indexOf("=");
    if (eq >= 0) { val = name.slice(eq + 1); name = name.slice(0, eq); }
    if (FLAG_OPTS.has(name)) {
      if (val !== undefined) usage(`--${name} takes no value`);
      opt[name] = true;
    } else if (VALUE_OPTS.has(name)) {
      if (val === undefined) {
        if (i + 1 >= argv.length) usage(`--${name} needs a value`);
        val = argv[++i];
      }
      if (name === "set") opt.set.push(val); else opt[name] = val;
    } else {
      usage(`unknown option --${name}`);
    }
  }
  return { pos, opt };
}

function count(opt, name, dflt) {
  const v = opt[name];
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(String(v))) usage(`--${name} must be a non-negative integer, not "${v}"`);
  return Number(v);
}

// A per-round count: "N" or a comma list "N0,N1,..." whose last entry repeats.
function perRound(opt, name, dflt) {
  const v = opt[name];
  if (v === undefined) return () => dflt;
  const list = String(v).split(",");
  if (!list.every((x) => /^\d+$/.test(x))) usage(`--${name} wants N or a comma list of N`);
  return (r) => Number(list[Math.min(r, list.length - 1)]);
}

// ---------------------------------------------------------------- locations

// { store: object store URL, dbPath: last segment, root: local directory or null }
function locate(arg, { mustExist }) {
  if (!arg) usage("missing DB (a directory or a URL)");
  let url, root = null;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg)) {
    url = arg.replace(/\/+$/, "");
    if (url.startsWith("file://")) root = decodeURIComponent(url.slice(7));
  } else {
    root = path.resolve(arg);
    url = pathToFileURL(root).href;
  }
  const cut = url.lastIndexOf("/");
  let store = url.slice(0, cut);
  const dbPath = url.slice(cut + 1);
  if (!dbPath || /:\/?$/.test(store)) usage(`cannot split ${arg} into a store and a DB path`);
  if (store === "file://") store = "file:///";
  if (root) {
    if (mustExist && !fs.existsSync(path.join(root, "manifest"))) usage(`${root} holds no SlateDB database (no manifest/)`);
    fs.mkdirSync(path.dirname(root), { recursive: true });
  }
  return { store, dbPath, root: root ? decodeURIComponent(root) : null };
}

// Run fn(location) on a throw-away copy of a local database unless inPlace.
async function onCopy(loc, inPlace, fn) {
  if (!loc.root || inPlace) return fn(loc);
  const tmp = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), "sdbtool-"));
  try {
    const copy = path.join(tmp, "db");
    fs.cpSync(loc.root, copy, { recursive: true });
    return await fn({ store: pathToFileURL(tmp).href, dbPath: "db", root: copy });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- settings and handles

const CODEC_NAMES = { none: null, snappy: "Snappy", zlib: "Zlib", lz4: "Lz4", zstd: "Zstd" };

function blockSizeName(v) {
  const m = /^(\d+)(k|kib)?$/i.exec(String(v ?? "4k"));
  const kib = m ? (m[2] ? Number(m[1]) : Number(m[1]) / 1024) : NaN;
  if (![1, 2, 4, 8, 16, 32, 64].includes(kib)) usage(`--block-size must be 1k, 2k, 4k, 8k, 16k, 32k or 64k`);
  return `Block${kib}Kib`;
}

function buildSettings(S, opt) {
  const s = S.Settings.default();
  const put = (k, v) => {
    try { s.set(k, v); } catch (e) { usage(`Settings.set(${k}, ${v}): ${e?.message ?? e}`); }
  };
  const codec = String(opt.codec ?? "none").toLowerCase();
  if (!(codec in CODEC_NAMES)) usage(`--codec must be one of ${Object.keys(CODEC_NAMES).join(", ")}`);
  if (CODEC_NAMES[codec]) put("compression_codec", JSON.stringify(CODEC_NAMES[codec]));
  if (opt["l0-sst-size"] !== undefined) put("l0_sst_size_bytes", String(count(opt, "l0-sst-size")));
  if (opt["flush-interval"] !== undefined) put("flush_interval", JSON.stringify(`${count(opt, "flush-interval")}ms`));
  if (opt.compactor) put("compactor_options.poll_interval", JSON.stringify("100ms"));
  else put("compactor_options", "null");
  if (!opt.gc) put("garbage_collector_options", "null");
  const maxL0 = opt["l0-max-ssts"] !== undefined ? count(opt, "l0-max-ssts") : (opt.compactor ? undefined : 100000);
  if (maxL0 !== undefined) put("l0_max_ssts", String(maxL0));
  for (const kv of opt.set) {
    const eq = kv.indexOf("=");
    if (eq <= 0) usage(`--set wants KEY=JSON, not "${kv}"`);
    put(kv.slice(0, eq), kv.slice(eq + 1));
  }
  return s;
}

// Open a writer with the settings options; returns { db, close }.
async function openWriter(loc, opt) {
  const S = await binding();
  const store = S.ObjectStore.resolve(loc.store);
  const b = new S.DbBuilder(loc.dbPath, store);
  let db;
  try {
    b.with_settings(buildSettings(S, opt));
    b.with_sst_block_size(S.SstBlockSize[blockSizeName(opt["block-size"])]);
    if (!opt["no-merge"]) b.with_merge_operator(concat);
    b.with_seed(count(opt, "seed", 1));
    db = await b.build();
  } finally {
    b.dispose();
  }
  return {
    db,
    async close() { await db.shutdown(); db.dispose(); store.dispose(); },
  };
}

// Open a read handle: a DbReader, or with --writer a writer (compactor and GC off).
async function openReadHandle(loc, opt) {
  if (opt.writer) return openWriter(loc, { set: [], "no-merge": opt["no-merge"] });
  const S = await binding();
  const store = S.ObjectStore.resolve(loc.store);
  const b = new S.DbReaderBuilder(loc.dbPath, store);
  let db;
  try {
    if (!opt["no-merge"]) b.with_merge_operator(concat);
    db = await b.build();
  } finally {
    b.dispose();
  }
  return { db, async close() { await db.shutdown(); db.dispose(); store.dispose(); } };
}

const hex = (b) => Buffer.from(b).toString("hex");
const FULL_RANGE = { start: undefined, start_inclusive: true, end: undefined, end_inclusive: false };

// ---------------------------------------------------------------- seeded randomness

// xoshiro128** on 32-bit words, seeded through splitmix32.
class Rng {
  constructor(seed) {
    let x = (Number(seed) >>> 0) ^ 0x9e3779b9;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s = [next(), next(), next(), next()];
  }
  u32() {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] = (s[2] ^ t) >>> 0;
    s[3] = rotl(s[3], 11);
    return r;
  }
  below(n) { return Math.floor((this.u32() / 4294967296) * n); }   // 0 <= r < n
  range(lo, hi) { return lo + this.below(hi - lo + 1); }            // lo <= r <= hi
  chance(p) { return this.u32() / 4294967296 < p; }
  pick(arr) { return arr[this.below(arr.length)]; }
  u64() { return (BigInt(this.u32()) << 32n) | BigInt(this.u32()); }
  bytes(n) { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff; return b; }
  shuffle(arr) {
    for (let i = arr.length - 1; i > 0; i--) { const j = this.below(i + 1); [arr[i], arr[j]] = [arr[j], arr[i]]; }
    return arr;
  }
}
function rotl(x, k) { return ((x << k) | (x >>> (32 - k))) >>> 0; }

// ---------------------------------------------------------------- key spaces

const SIGN = 1n << 63n;
const be64 = (u) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt.asUintN(64, u)); return b; };
const encodeInt64 = (n) => be64(BigInt.asUintN(64, BigInt(n)) ^ SIGN);

const TEXT_SPECIALS = [
  "5", "10", "-3", "abc", "0", "00", "007", "-0", "+1", "1e3", "3.14", "-2.5", " ", "a b", "A", "Z", "a", "z",
  "ab", "abcd", "ABC", "key", "key:1", "key:10", "key:2", "9223372036854775807", "-9223372036854775808",
  "18446744073709551616", "NULL", "null", "é", "e\u0301", "日本語", "日本", "🙂", "~", "\u007f", "x\ty",
  "100", "99", "1000", "-1", "-10", "0x10",
];
const UNICODE_POOL = ["é", "ß", "ø", "Ω", "ж", "ק", "ع", "अ", "中", "日", "本", "語", "한", "€", "™", "😀", "🙂", "𝄞", "ñ", "ü"];
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const PRINTABLE = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";

function randomText(rng) {
  const word = (alpha, lo, hi) => { let s = ""; for (let n = rng.range(lo, hi); n > 0; n--) s += alpha[rng.below(alpha.length)]; return s; };
  switch (rng.below(7)) {
    case 0: return String(rng.range(-1000, 100000));
    case 1: return String(rng.range(-99999, 99999) / 100);
    case 2: return word(LOWER, 1, 12);
    case 3: return word(PRINTABLE, 1, 20);
    case 4: return word(LOWER, 1, 4) + ":" + rng.range(0, 500);
    case 5: { let s = ""; for (let n = rng.range(1, 6); n > 0; n--) s += rng.chance(0.5) ? rng.pick(UNICODE_POOL) : LOWER[rng.below(26)]; return s; }
    default: return rng.pick(["user", "item", "order", "Item", "_"]) + rng.range(0, 9999);
  }
}

function randomBinary(rng, seen) {
  const r = rng.below(10);
  if (r < 2 && seen.length) {           // a prefix relation with an earlier key
    const base = rng.pick(seen);
    if (rng.chance(0.5) || base.length < 2) return Buffer.concat([base, Buffer.from([rng.pick([0x00, 0xff, rng.below(256)])])]);
    return base.subarray(0, rng.range(1, base.length - 1));
  }
  const b = rng.bytes(rng.range(1, 24));
  if (r < 5) for (let i = 0; i < b.length; i++) if (rng.chance(0.4)) b[i] = rng.chance(0.5) ? 0x00 : 0xff;
  return b;
}

function randomInt64(rng) {
  switch (rng.below(4)) {
    case 0: return BigInt(rng.range(-1000, 1000));
    case 1: return BigInt(rng.range(-2147483648, 2147483647));
    case 2: return BigInt(rng.range(-1e15, 1e15));
    default: return BigInt.asIntN(64, rng.u64());
  }
}

function randomUint63(rng) {
  switch (rng.below(4)) {
    case 0: return BigInt(rng.range(0, 1000));
    case 1: return BigInt(rng.range(0, 4294967295));
    case 2: return BigInt(rng.range(0, 2 ** 52));
    default: return rng.u64() & (SIGN - 1n);
  }
}

// n distinct keys of the given kind, as Buffers, in generation order.
function keySpace(kind, n, rng) {
  const out = [], seen = new Set();
  const add = (b) => {
    if (out.length >= n || b.length === 0 || b.length > 65535) return;
    const h = b.toString("hex");
    if (!seen.has(h)) { seen.add(h); out.push(b); }
  };
  let guard = 0;
  const fill = (make) => { while (out.length < n && guard++ < n * 100) add(make()); };
  switch (kind) {
    case "counter":
      for (let i = 0; i < n; i++) add(Buffer.from("k" + String(i).padStart(8, "0")));
      break;
    case "text":
      for (const s of TEXT_SPECIALS) add(Buffer.from(s, "utf8"));
      fill(() => Buffer.from(randomText(rng), "utf8"));
      break;
    case "binary":
      for (const h of ["00", "0000", "000001", "0001ff", "0001ff00", "01", "7f", "80", "fe", "ff", "ffff", "ffffff00", "00ff"]) add(Buffer.from(h, "hex"));
      fill(() => randomBinary(rng, out));
      break;
    case "int64":
      for (const v of [-(2n ** 63n), -(2n ** 63n) + 1n, -(2n ** 32n), -2147483648n, -256n, -255n, -2n, -1n, 0n, 1n, 2n, 255n, 256n,
        2147483647n, 2n ** 32n, 2n ** 53n, 2n ** 63n - 2n, 2n ** 63n - 1n]) add(encodeInt64(v));
      fill(() => encodeInt64(randomInt64(rng)));
      break;
    case "uint64":
      for (const v of [0n, 1n, 2n, 255n, 256n, 65535n, 65536n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n, 2n ** 62n, 2n ** 63n - 2n, 2n ** 63n - 1n]) add(be64(v));
      fill(() => be64(randomUint63(rng)));
      break;
    default:
      usage(`--key-kind must be counter, text, binary, int64 or uint64`);
  }
  if (out.length < n) usage(`could only make ${out.length} distinct ${kind} keys`);
  return out;
}

function makeValue(rng, kind, size, tag) {
  if (kind === "binary") return rng.bytes(size);
  // text: a readable tag, then lower-case filler with some repetition (so codecs have work)
  let s = tag;
  const stem = LOWER.slice(rng.below(20)).slice(0, 6);
  while (s.length < size) s += rng.chance(0.7) ? stem : LOWER[rng.below(26)];
  return Buffer.from(s.slice(0, Math.max(size, 0)), "utf8");
}

// ---------------------------------------------------------------- manifest reading (info)

// Minimal FlatBuffers access: a table at absolute offset `at` of buffer `fb`.
function fbTable(fb, at) {
  const vt = at - fb.readInt32LE(at);
  const vtLen = fb.readUInt16LE(vt);
  const slot = (id) => { const o = 4 + 2 * id; return o + 2 <= vtLen ? fb.readUInt16LE(vt + o) : 0; };
  const t = {
    has: (id) => slot(id) !== 0,
    u64: (id) => (slot(id) ? fb.readBigUInt64LE(at + slot(id)) : 0n),
    i64: (id, d = 0n) => (slot(id) ? fb.readBigInt64LE(at + slot(id)) : d),
    ref: (id) => { const o = at + slot(id); return o + fb.readUInt32LE(o); },
    vector: (id) => {
      if (!slot(id)) return [];
      const v = t.ref(id), n = fb.readUInt32LE(v), out = [];
      for (let i = 0; i < n; i++) { const e = v + 4 + 4 * i; out.push(fbTable(fb, e + fb.readUInt32LE(e))); }
      return out;
    },
  };
  return t;
}

function manifestSummary(root) {
  const list = (d, re) => (fs.existsSync(path.join(root, d)) ? fs.readdirSync(path.join(root, d)).filter((n) => re.test(n)).sort() : []);
  const manifests = list("manifest", /^\d{20}\.manifest$/);
  const wals = list("wal", /^\d{20}\.sst$/);
  const out = {
    manifests: manifests.length, wal_ssts: wals.length, compacted_ssts: list("compacted", /\.sst$/).length,
  };
  if (!manifests.length) return out;
  const raw = fs.readFileSync(path.join(root, "manifest", manifests.at(-1)));
  const version = raw.readUInt16BE(0);
  const fb = raw.subarray(2);
  const m = fbTable(fb, fb.readUInt32LE(0));
  const F = version === 1
    ? { l0: 8, runs: 9, tick: 10, cps: 11, lastSeq: 12 }
    : { l0: 9, runs: 10, tick: 11, cps: 12, lastSeq: 13 };
  const replayAfter = m.u64(5);
  Object.assign(out, {
    manifest_id: Number(manifests.at(-1).slice(0, 20)),
    manifest_version: version,
    writer_epoch: Number(m.u64(3)),
    compactor_epoch: Number(m.u64(4)),
    replay_after_wal_id: Number(replayAfter),
    wal_id_last_seen: Number(m.u64(6)),
    last_l0_seq: Number(m.u64(F.lastSeq)),
    l0: m.vector(F.l0).length,
    sorted_runs: m.vector(F.runs).map((r) => r.vector(1).length),
    checkpoints: m.vector(F.cps).length,
    wal_after_replay_point: wals.filter((n) => BigInt(n.slice(0, 20)) > replayAfter).length,
  });
  return out;
}

// ---------------------------------------------------------------- writing

// Apply a list of operations.  Each op: { op: "put"|"delete"|"merge", key, value, ttl } or
// { op: "batch", ops: [...] } or { op: "flush", what } or { op: "sleep", ms } or { op: "snapshot" }.
async function applyOps(S, db, ops, state) {
  const noWait = { await_durable: false };
  const ttlOf = (o) => o.ttl ?? S.Ttl.Default();
  for (const o of ops) {
    switch (o.op) {
      case "put": await db.put_with_options(o.key, o.value, { ttl: ttlOf(o) }, noWait); break;
      case "merge": await db.merge_with_options(o.key, o.value, { ttl: ttlOf(o) }, noWait); break;
      case "delete": await db.delete_with_options(o.key, noWait); break;
      case "batch": {
        if (!o.ops.length) break;
        const wb = new S.WriteBatch();
        for (const x of o.ops) {
          if (x.op === "put") wb.put_with_options(x.key, x.value, { ttl: ttlOf(x) });
          else if (x.op === "merge") wb.merge_with_options(x.key, x.value, { ttl: ttlOf(x) });
          else if (x.op === "delete") wb.delete(x.key);
          else throw new Error(`${x.op} cannot go into a batch`);
        }
        await db.write_with_options(wb, noWait);   // consumes the batch
        break;
      }
      case "flush":
        await db.flush_with_options({ flush_type: S.FlushType.Wal });
        if (o.what === "memtable") await db.flush_with_options({ flush_type: S.FlushType.MemTable });
        break;
      case "sleep": await new Promise((r) => setTimeout(r, o.ms)); break;
      case "snapshot": state.snapshots.push(await db.snapshot()); break;
      default: throw new Error(`unknown op ${o.op}`);
    }
    state.applied++;
  }
}

async function withWriter(loc, opt, fn) {
  const S = await binding();
  const h = await openWriter(loc, opt);
  const state = { applied: 0, snapshots: [] };
  try {
    await fn(S, h.db, state);
  } finally {
    for (const s of state.snapshots) s.dispose();
    await h.close();
  }
  return state;
}

const FAR_FUTURE_MS = 4102444800000; // 2100-01-01T00:00:00Z

async function cmdGen(pos, opt) {
  if (pos.length !== 1) usage("gen DB [options]");
  const loc = locate(pos[0], { mustExist: false });
  if (loc.root && fs.existsSync(loc.root) && fs.readdirSync(loc.root).length) usage(`${loc.root} is not empty`);
  const seed = count(opt, "seed", 1);
  const rng = new Rng(seed);
  const nKeys = count(opt, "keys", 200);
  const rounds = count(opt, "rounds", 1);
  const per = {
    put: perRound(opt, "puts", nKeys), delete: perRound(opt, "deletes", 0), merge: perRound(opt, "merges", 0),
    short: perRound(opt, "ttl-short", 0), long: perRound(opt, "ttl-long", 0), empty: perRound(opt, "empty", 0),
  };
  const shortTtl = count(opt, "short-ttl", 1);
  const batch = count(opt, "batch", 50);
  const sleepMs = count(opt, "sleep", 0);
  const valueKind = opt["value-kind"] ?? "text";
  if (!["text", "binary"].includes(valueKind)) usage("--value-kind must be text or binary");
  const vs = /^(\d+)(?:-(\d+))?$/.exec(opt["value-size"] ?? "8-40");
  if (!vs) usage("--value-size wants MIN or MIN-MAX");
  const [vMin, vMax] = [Number(vs[1]), Number(vs[2] ?? vs[1])];
  const ends = String(opt.end ?? "memtable").split(",");
  for (const e of ends) if (!["memtable", "wal", "none"].includes(e)) usage("--end entries are memtable, wal or none");
  const runsAfter = opt.compactor ? String(opt["runs-after"] ?? rounds).split(",").map(Number) : [];
  if (!runsAfter.every((x) => Number.isInteger(x) && x >= 1)) usage("--runs-after wants round numbers (1-based)");
  const waitS = count(opt, "wait", 90);

  const keys = keySpace(opt["key-kind"] ?? "counter", nKeys, rng);
  let cycle = [], written = [];
  const writtenSet = new Set();
  const nextPutKey = () => {
    if (!cycle.length) cycle = rng.shuffle(keys.slice());
    const k = cycle.pop();
    if (!writtenSet.has(k)) { writtenSet.add(k); written.push(k); }
    return k;
  };
  const tally = { put: 0, delete: 0, merge: 0, ttl_short: 0, ttl_long: 0, empty: 0 };

  let runsOk = true;
  await withWriter(loc, opt, async (S, db, state) => {
    for (let r = 0; r < rounds; r++) {
      // the round's operations, in a shuffled order
      const kinds = [];
      for (const [k, n] of Object.entries(per)) for (let i = n(r); i > 0; i--) kinds.push(k);
      rng.shuffle(kinds);
      const ops = [];
      kinds.forEach((k, i) => {
        const size = rng.range(vMin, vMax);
        switch (k) {
          case "put": ops.push({ op: "put", key: nextPutKey(), value: makeValue(rng, valueKind, size, `r${r}.${i}:`) }); tally.put++; break;
          case "empty": ops.push({ op: "put", key: nextPutKey(), value: Buffer.alloc(0) }); tally.empty++; break;
          case "delete":
            if (written.length) { ops.push({ op: "delete", key: rng.pick(written) }); tally.delete++; }
            break;
          case "merge": ops.push({ op: "merge", key: rng.pick(keys), value: Buffer.from(`+${r}.${i};`) }); tally.merge++; break;
          case "short":
            ops.push({ op: "put", key: nextPutKey(), value: makeValue(rng, valueKind, size, `short${r}.${i}:`), ttl: S.Ttl.ExpireAfterTicks(shortTtl) });
            tally.ttl_short++; break;
          case "long":
            ops.push({ op: "put", key: nextPutKey(), value: makeValue(rng, valueKind, size, `long${r}.${i}:`), ttl: S.Ttl.ExpireAt(FAR_FUTURE_MS) });
            tally.ttl_long++; break;
        }
      });
      if (batch > 0) {
        for (let i = 0; i < ops.length; i += batch) await applyOps(S, db, [{ op: "batch", ops: ops.slice(i, i + batch) }], state);
      } else {
        await applyOps(S, db, ops, state);
      }
      const end = ends[Math.min(r, ends.length - 1)];
      if (end !== "none") await applyOps(S, db, [{ op: "flush", what: end }], state);
      if (sleepMs) await applyOps(S, db, [{ op: "sleep", ms: sleepMs }], state);
      const want = runsAfter.indexOf(r + 1) + 1;   // after the i-th listed round, want i runs
      if (opt.compactor && want > 0 && !(await waitForSortedRuns(loc, want, waitS))) {
        console.error(`gen: fewer than ${want} sorted run(s) after round ${r + 1}, waited ${waitS} s`);
        runsOk = false;
      }
    }
  });
  const summary = { seed, rounds, keys: nKeys, ops: tally };
  if (loc.root) summary.layout = manifestSummary(loc.root);
  console.log(JSON.stringify(summary));
  if (!runsOk) process.exitCode = 1;
}

// Wait until the newest manifest lists `want` sorted runs (remote stores: a fixed pause).
async function waitForSortedRuns(loc, want, waitS) {
  if (!loc.root) { await new Promise((r) => setTimeout(r, 10000)); return true; }
  const t0 = Date.now();
  while (Date.now() - t0 < waitS * 1000) {
    const s = manifestSummary(loc.root);
    if ((s.sorted_runs ?? []).length >= want) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

async function cmdEdge(pos, opt) {
  if (pos.length !== 1) usage("edge DB [settings]");
  const loc = locate(pos[0], { mustExist: false });
  if (loc.root && fs.existsSync(loc.root) && fs.readdirSync(loc.root).length) usage(`${loc.root} is not empty`);
  const B = (s) => Buffer.from(s);
  const H = (h) => Buffer.from(h, "hex");
  await withWriter(loc, opt, async (S, db, state) => {
    // L0 #1: large rows, binary keys, empty values, versions pinned by a snapshot
    await applyOps(S, db, [
      { op: "batch", ops: [
        { op: "put", key: B("big-value"), value: Buffer.alloc(100000, "abcdefgh") },
        { op: "put", key: Buffer.alloc(65535, 0x7a), value: B("max-key") },
        { op: "put", key: B("p".repeat(300)), value: B("long-key-300") },
        { op: "put", key: B("p".repeat(299) + "q"), value: B("long-key-300-q") },
        { op: "put", key: B("empty-value"), value: Buffer.alloc(0) },
        { op: "put", key: H("00"), value: B("k-00") },
        { op: "put", key: H("0000"), value: Buffer.alloc(0) },
        { op: "put", key: H("0001ff"), value: B("k-0001ff") },
        { op: "put", key: H("0001ff00"), value: B("k-0001ff00") },
        { op: "put", key: H("ff"), value: H("00ff10") },
        { op: "put", key: H("ffff"), value: H("ff") },
        { op: "put", key: H("ffffffff"), value: Buffer.alloc(0) },
        { op: "put", key: H("7f80"), value: H("000000") },
      ] },
      { op: "batch", ops: [
        { op: "put", key: B("versions-a"), value: B("a1") },
        { op: "put", key: B("versions-b"), value: B("b1") },
      ] },
      { op: "snapshot" },
      { op: "put", key: B("versions-a"), value: B("a2") },
      { op: "delete", key: B("versions-b") },
      { op: "flush", what: "wal" },
      { op: "delete", key: B("versions-a") },
      { op: "put", key: B("versions-b"), value: B("b3") },
      { op: "flush", what: "memtable" },
    ], state);
    // L0 #2: exactly 999 rows (below min_filter_keys: no bloom filter)
    const rows = (prefix, n, v) => ({ op: "batch", ops: Array.from({ length: n }, (_, i) => ({ op: "put", key: B(prefix + String(i).padStart(4, "0")), value: B(v) })) });
    await applyOps(S, db, [rows("f999-", 999, "x"), { op: "flush", what: "memtable" }], state);
    // L0 #3: exactly 1000 rows (a bloom filter)
    await applyOps(S, db, [rows("f1000-", 1000, "y"), { op: "flush", what: "memtable" }], state);
  });
  console.log(JSON.stringify({ edge: true, layout: loc.root ? manifestSummary(loc.root) : null }));
}

// "put" file lines: <key hex> <value hex> | <key hex> -
function readHexPairs(file) {
  const text = fs.readFileSync(file === "-" ? 0 : file, "utf8");
  const out = [];
  text.split("\n").forEach((raw, n) => {
    const line = raw.replace(/\r$/, "");
    if (!line.trim() || line.startsWith("#")) return;
    const f = line.split(" ");
    const okHex = (s) => /^([0-9a-fA-F]{2})*$/.test(s);
    if (f.length < 2 || !f[0] || !okHex(f[0]) || !(f[1] === "-" || okHex(f[1]))) {
      usage(`${file}:${n + 1}: expected "<key hex> <value hex>" or "<key hex> -"`);
    }
    out.push({ key: Buffer.from(f[0], "hex"), value: f[1] === "-" ? null : Buffer.from(f[1], "hex"), line: n + 1 });
  });
  return out;
}

async function cmdPut(pos, opt) {
  if (pos.length !== 2) usage("put DB FILE|- [options]");
  const pairs = readHexPairs(pos[1]);
  const loc = locate(pos[0], { mustExist: false });
  const batch = count(opt, "batch", 100);
  const end = opt.end ?? "wal";
  if (!["memtable", "wal", "none"].includes(end)) usage("--end must be memtable, wal or none");
  const ops = pairs.map((p) => (p.value ? { op: "put", key: p.key, value: p.value } : { op: "delete", key: p.key }));
  const st = await withWriter(loc, opt, async (S, db, state) => {
    if (batch > 0) for (let i = 0; i < ops.length; i += batch) await applyOps(S, db, [{ op: "batch", ops: ops.slice(i, i + batch) }], state);
    else await applyOps(S, db, ops, state);
    if (end !== "none") await applyOps(S, db, [{ op: "flush", what: end }], state);
  });
  console.log(`put: ${ops.length} operations written`);
  return st;
}

function parseScript(S, file) {
  const text = fs.readFileSync(file === "-" ? 0 : file, "utf8");
  const top = [];
  let cur = null;
  const hexArg = (s, where) => {
    if (s === undefined || s === "" || s === '""') return Buffer.alloc(0);
    if (!/^([0-9a-fA-F]{2})*$/.test(s)) usage(`${where}: "${s}" is not hex`);
    return Buffer.from(s, "hex");
  };
  const ttlArg = (s, where) => {
    if (s === undefined) return undefined;
    let m;
    if ((m = /^ttl=(\d+)$/.exec(s))) return S.Ttl.ExpireAfterTicks(Number(m[1]));
    if ((m = /^expire_at=(\d+)$/.exec(s))) return S.Ttl.ExpireAt(Number(m[1]));
    if (s === "no_expiry") return S.Ttl.NoExpiry();
    usage(`${where}: bad TTL "${s}"`);
  };
  text.split("\n").forEach((raw, n) => {
    const where = `${file}:${n + 1}`;
    const line = raw.replace(/\r$/, "").replace(/\s+#.*$/, "");
    if (!line.trim() || line.trim().startsWith("#")) return;
    const f = line.trim().split(" ");
    const add = (o) => (cur ? cur.ops : top).push(o);
    switch (f[0]) {
      case "put": case "merge":
        if (!f[1]) usage(`${where}: ${f[0]} needs a key`);
        add({ op: f[0], key: hexArg(f[1], where), value: hexArg(f[2], where), ttl: ttlArg(f[3], where) });
        break;
      case "delete":
        if (!f[1]) usage(`${where}: delete needs a key`);
        add({ op: "delete", key: hexArg(f[1], where) });
        break;
      case "batch":
        if (cur) usage(`${where}: nested batch`);
        cur = { op: "batch", ops: [] };
        break;
      case "commit":
        if (!cur) usage(`${where}: commit without batch`);
        top.push(cur); cur = null;
        break;
      case "flush":
        if (!["wal", "memtable"].includes(f[1])) usage(`${where}: flush wal|memtable`);
        if (cur) usage(`${where}: flush inside a batch`);
        top.push({ op: "flush", what: f[1] });
        break;
      case "sleep":
        if (!/^\d+$/.test(f[1] ?? "")) usage(`${where}: sleep MS`);
        if (cur) usage(`${where}: sleep inside a batch`);
        top.push({ op: "sleep", ms: Number(f[1]) });
        break;
      case "snapshot":
        if (cur) usage(`${where}: snapshot inside a batch`);
        top.push({ op: "snapshot" });
        break;
      default:
        usage(`${where}: unknown operation "${f[0]}"`);
    }
  });
  if (cur) usage(`${file}: batch without commit`);
  return top;
}

async function cmdWrite(pos, opt) {
  if (pos.length !== 2) usage("write DB FILE|- [options]");
  const S = await binding();
  const ops = parseScript(S, pos[1]);
  const loc = locate(pos[0], { mustExist: false });
  const st = await withWriter(loc, opt, async (S, db, state) => applyOps(S, db, ops, state));
  console.log(`write: ${st.applied} operations applied`);
}

// ---------------------------------------------------------------- reading

async function scanAll(loc, opt) {
  const S = await binding();
  const h = await openReadHandle(loc, opt);
  const rows = [];
  try {
    const order = opt.descending ? S.IterationOrder.Descending : S.IterationOrder.Ascending;
    const it = await h.db.scan_with_options(FULL_RANGE, {
      durability_filter: S.DurabilityLevel.Memory, dirty: false, read_ahead_bytes: 1,
      cache_blocks: false, max_fetch_tasks: 1, order,
    });
    try {
      for (let kv = await it.next(); kv; kv = await it.next()) rows.push(kv);
    } finally {
      it.dispose();
    }
  } finally {
    await h.close();
  }
  if (opt.descending) rows.reverse();
  return rows;
}

function formatRow(kv, meta) {
  let s = `${hex(kv.key)} ${hex(kv.value)}`;
  if (meta) s += ` ${kv.seq} ${kv.create_ts} ${kv.expire_ts ?? "-"}`;
  return s;
}

async function cmdDump(pos, opt) {
  if (pos.length !== 1) usage("dump DB [--meta] [--writer] [--descending] [--no-merge] [--in-place] [--out FILE]");
  const loc = locate(pos[0], { mustExist: true });
  const rows = await onCopy(loc, opt["in-place"], (l) => scanAll(l, opt));
  // SlateDB 0.12.1's descending scan is wrong over sorted runs of several SSTs (it repeats
  // and misorders keys); refuse to print such a listing.
  for (let i = 1; i < rows.length; i++) {
    if (Buffer.compare(Buffer.from(rows[i - 1].key), Buffer.from(rows[i].key)) >= 0) {
      throw new Error(`the ${opt.descending ? "descending" : "ascending"} scan returned keys out of order at row ${i}`);
    }
  }
  const text = rows.map((kv) => formatRow(kv, opt.meta) + "\n").join("");
  if (opt.out) fs.writeFileSync(opt.out, text);
  else { process.stdout.write(text); console.error(`dump: ${rows.length} keys`); }
}

async function cmdCheck(pos, opt) {
  if (pos.length !== 2) usage("check DB EXPECT [--writer] [--in-place]");
  const want = readHexPairs(pos[1]);
  const loc = locate(pos[0], { mustExist: true });
  const bad = await onCopy(loc, opt["in-place"], async (l) => {
    const h = await openReadHandle(l, opt);
    let wrong = 0;
    try {
      for (const w of want) {
        let got;
        try {
          const v = await h.db.get(w.key);
          got = v === undefined ? "-" : hex(v);
        } catch (e) {
          got = `error(${e?.message ?? e})`;
        }
        const exp = w.value ? hex(w.value) : "-";
        if (got !== exp) { wrong++; console.log(`MISMATCH ${hex(w.key)}: want ${exp} got ${got}`); }
      }
    } finally {
      await h.close();
    }
    return wrong;
  });
  console.log(bad ? `check: ${bad} of ${want.length} keys differ` : `check: all ${want.length} keys as expected`);
  if (bad) process.exitCode = 1;
}

async function cmdInfo(pos) {
  if (pos.length !== 1) usage("info DB");
  const loc = locate(pos[0], { mustExist: true });
  if (!loc.root) usage("info works on local databases only");
  console.log(JSON.stringify(manifestSummary(loc.root)));
}

// ---------------------------------------------------------------- main

const COMMANDS = {
  gen: cmdGen, edge: cmdEdge, dump: cmdDump, check: cmdCheck, put: cmdPut, write: cmdWrite, info: cmdInfo,
  defaults: async () => { const S = await binding(); console.log(S.Settings.default().to_json_string()); },
};

function printHelp() {
  const src = fs.readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n");
  const lines = [];
  for (const l of src.slice(1)) { if (!l.startsWith("//")) break; lines.push(l.replace(/^\/\/ ?/, "")); }
  console.log(lines.join("\n"));
}

async function main() {
  process.stdout.on("error", (e) => { if (e.code === "EPIPE") process.exit(0); throw e; });
  const [cmd, ...rest] = process.argv.slice(2);
  if (!cmd || cmd === "help" || cmd === "--help" || cmd === "-h") { printHelp(); return; }
  const fn = COMMANDS[cmd];
  if (!fn) usage(`unknown command "${cmd}" (gen, edge, dump, check, put, write, info, defaults)`);
  const { pos, opt } = parseCommandLine(rest);
  if (opt.help) { printHelp(); return; }
  await fn(pos, opt);
}

main().catch((e) => {
  if (e instanceof UsageError) {
    console.error(`slatedb-tool: ${e.message}`);
    process.exit(2);
  }
  console.error(`slatedb-tool: ${e?.constructor?.name ?? "Error"}: ${e?.message ?? e}`);
  if (process.env.SDB_TOOL_DEBUG) console.error(e?.stack);
  process.exit(1);
});
