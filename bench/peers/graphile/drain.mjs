#!/usr/bin/env node
// Peer benchmark: graphile-worker draining N no-op jobs on PostgreSQL.
//
//   node drain.mjs --jobs 10000 --pg postgres://postgres@127.0.0.1:5432/postgres [--concurrency 8]
//
// 1. creates a scratch database peer_graphile_<pid> through the --pg (superuser) URL
// 2. runs graphile-worker's migrations in it
// 3. adds --jobs jobs of the no-op task "noop" in ONE SQL call to graphile_worker.add_jobs
//    (not timed), then ANALYZE + CHECKPOINT (not timed)
// 4. times: a runner (--concurrency workers sharing one already-connected pg pool,
//    pollInterval --poll-interval ms) from start until --jobs jobs have emitted
//    "job:complete" without error; that event fires after the job's completion (the
//    DELETE via graphile_worker.complete_job, its own committed transaction) returns
// 5. stops the runner, checks no job is left, drops the database (also on error/signal)
//
// Prints ONE line of JSON on stdout; warnings and errors go to stderr.
import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";

// graphile-worker logs one line per successful job unless this is set; it is its
// documented switch, and a log line per job would measure the console, not the queue.
process.env.NO_LOG_SUCCESS = "1";

const require = createRequire(import.meta.url);
const { run, runMigrations, Logger } = require("graphile-worker");
const pg = require("pg");
const graphileVersion = require("graphile-worker/package.json").version;

const { values: args } = parseArgs({
  options: {
    jobs: { type: "string", default: "10000" },
    pg: { type: "string", default: "postgres://postgres@127.0.0.1:5432/postgres" },
    concurrency: { type: "string", default: "8" },
    "poll-interval": { type: "string", default: "10" },
    timeout: { type: "string", default: "600" },
  },
});
const jobs = Number.parseInt(args.jobs, 10);
const concurrency = Number.parseInt(args.concurrency, 10);
const pollInterval = Number.parseInt(args["poll-interval"], 10);
const timeoutS = Number.parseFloat(args.timeout);
if (!(jobs > 0 && jobs <= 10_000_000 && concurrency > 0 && pollInterval > 0 && timeoutS > 0)) {
  console.error("bad arguments: --jobs, --concurrency, --poll-interval, --timeout must be positive");
  process.exit(2);
}

const dbName = `peer_graphile_${process.pid}`;
const adminUrl = args.pg;
const dbUrl = (() => {
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  return u.toString();
})();

const logger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") console.error(`[graphile-worker ${level}] ${message}`);
});

async function admin(sql) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

let created = false;
let dropping = null;
async function dropDb() {
  if (!created) return;
  dropping ??= admin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).then(() => {
    created = false;
  });
  return dropping;
}

// Set while the runner is up, so that a signal can stop it before the drop.
let live = null; // { runner, pgPool, markEnding }

// Once the scratch database is being dropped, its connections are terminated by the server
// (57P01); a pg client without an error listener would then crash the process.
process.on("uncaughtException", (e) => {
  if (dropping && e?.code === "57P01") return;
  console.error(e?.stack ?? String(e));
  dropDb()
    .catch(() => {})
    .finally(() => process.exit(1));
});

for (const sig of ["SIGINT", "SIGTERM"]) {
  process.once(sig, async () => {
    console.error(`${sig}: stopping, dropping ${dbName}`);
    const stopLive = async () => {
      if (!live) return;
      await live.runner.stop().catch(() => {});
      live.markEnding();
      await live.pgPool.end().catch(() => {});
    };
    await Promise.race([stopLive(), new Promise((r) => setTimeout(r, 5000))]);
    await dropDb().catch((e) => console.error(`drop failed: ${e.message}`));
    process.exit(sig === "SIGINT" ? 130 : 143);
  });
}

async function main() {
  await admin(`CREATE DATABASE "${dbName}"`);
  created = true;

  await runMigrations({ connectionString: dbUrl, logger });

  // Bulk add, one statement, not timed.
  const setup = new pg.Client({ connectionString: dbUrl });
  await setup.connect();
  try {
    const { rows } = await setup.query(
      `select count(*)::int as n from graphile_worker.add_jobs(
         (select array_agg(row('noop', json_build_object('i', i), null, null, null, null, null, null)::graphile_worker.job_spec)
            from generate_series(1, $1::int) as i))`,
      [jobs],
    );
    if (rows[0].n !== jobs) throw new Error(`add_jobs added ${rows[0].n}, expected ${jobs}`);
    await setup.query("analyze graphile_worker._private_jobs");
    await setup.query("checkpoint");
  } finally {
    await setup.end();
  }

  const pgPool = new pg.Pool({ connectionString: dbUrl, max: concurrency + 2 });
  // pg-pool's end() resolves before its connections have closed, so the DROP DATABASE ...
  // WITH (FORCE) that follows may terminate them: errors on an ending pool are expected.
  let poolEnding = false;
  pgPool.on("error", (e) => {
    if (!poolEnding) console.error(`pg pool error: ${e.message}`);
  });
  // Open the pool's connections before the clock starts.
  const warm = await Promise.all(Array.from({ length: concurrency + 2 }, () => pgPool.connect()));
  warm.forEach((c) => c.release());

  const events = new EventEmitter();
  let ok = 0;
  let failed = 0;
  let finish;
  const drained = new Promise((resolve) => (finish = resolve));
  events.on("job:complete", ({ error }) => {
    if (error) failed++;
    else ok++;
    if (ok === jobs) finish(performance.now());
  });

  const timer = setTimeout(() => finish(null), timeoutS * 1000);
  const t0 = performance.now();
  const runner = await run({
    pgPool,
    concurrency,
    pollInterval,
    noHandleSignals: true,
    logger,
    events,
    taskList: { noop: async () => {} },
  });
  live = { runner, pgPool, markEnding: () => (poolEnding = true) };
  const t1 = await drained;
  clearTimeout(timer);
  let left;
  try {
    await runner.stop();
    left = (await pgPool.query("select count(*)::int as n from graphile_worker._private_jobs")).rows[0].n;
  } finally {
    poolEnding = true;
    await pgPool.end();
    live = null;
  }

  if (t1 === null) throw new Error(`timed out after ${timeoutS}s: ${ok} done, ${failed} failed`);
  if (failed) throw new Error(`${failed} job attempts failed`);
  if (left !== 0) throw new Error(`${left} jobs left in the queue`);

  const seconds = (t1 - t0) / 1000;
  return {
    peer: "graphile-worker",
    version: graphileVersion,
    jobs,
    seconds: Number(seconds.toFixed(3)),
    jobs_per_s: Number((jobs / seconds).toFixed(1)),
    concurrency,
    poll_interval_ms: pollInterval,
  };
}

let code = 0;
try {
  const result = await main();
  await dropDb();
  console.log(JSON.stringify(result));
} catch (e) {
  console.error(e?.stack ?? String(e));
  code = 1;
  try {
    await dropDb();
  } catch (e2) {
    console.error(`drop of ${dbName} failed: ${e2.message}`);
  }
}
process.exit(code);
