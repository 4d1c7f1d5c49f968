#!/usr/bin/env python3
"""Peer benchmark: SpiffWorkflow running the same two-step approval as Liandong's benchmark.

Closed loop per client: create an instance of two_step_approval.bpmn (start -> step 1
approve -> step 2 approve -> end), complete step 1, complete step 2, finish, repeat.
Every decision (task completion) is ONE durable SQLite transaction that persists the
workflow serialized with SpiffWorkflow's BpmnWorkflowSerializer, plus one row in a
decision log:

  decision 1: run step 1 in memory, serialize, BEGIN IMMEDIATE; INSERT instance;
              INSERT decision; COMMIT
  decision 2: read the stored JSON, deserialize, run step 2, serialize,
              BEGIN IMMEDIATE; UPDATE instance ... WHERE version = read version;
              INSERT decision; COMMIT (optimistic check, so the write lock is held
              only for the writes, not for the engine work)

Creating the instance is not a decision and is not persisted on its own: the first
durable write of an instance is its step-1 decision.

SQLite: one file, journal_mode=WAL, synchronous=FULL, busy_timeout 30 s. Clients are
PROCESSES (multiprocessing), each with its own sqlite3 connection to the same file, so
the GIL does not serialize the engine work.

Output: one line of JSON on stdout; progress and warnings go to stderr.
Bounded: --seconds of wall time (a decision started before the deadline is finished)
and --max-instances per client. The database file (and its -wal/-shm) is removed at the
end unless --keep-db.
"""

import argparse
import json
import multiprocessing as mp
import os
import signal
import sqlite3
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
BPMN_FILE = os.path.join(HERE, "two_step_approval.bpmn")
PROCESS_ID = "two_step_approval"
STEPS = ("step1_approve", "step2_approve")

SCHEMA = """
CREATE TABLE IF NOT EXISTS workflow_instance (
    id          TEXT PRIMARY KEY,
    version     INTEGER NOT NULL,
    completed   INTEGER NOT NULL,
    state       TEXT NOT NULL,
    updated_at  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS decision (
    id          INTEGER PRIMARY KEY,
    instance_id TEXT NOT NULL REFERENCES workflow_instance(id),
    task        TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    actor       TEXT NOT NULL,
    decided_at  REAL NOT NULL
);
"""


def spiff_version():
    try:
        from importlib.metadata import version

        return version("SpiffWorkflow")
    except Exception:
        from SpiffWorkflow.version import __version__

        return __version__


def connect(path):
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)  # explicit transactions
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if mode.lower() != "wal":
        raise RuntimeError(f"journal_mode is {mode}, not wal")
    conn.execute("PRAGMA synchronous=FULL")
    if conn.execute("PRAGMA synchronous").fetchone()[0] != 2:
        raise RuntimeError("synchronous is not FULL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def load_spec():
    from SpiffWorkflow.bpmn.parser import BpmnParser

    parser = BpmnParser()
    parser.add_bpmn_file(BPMN_FILE)
    return parser.get_spec(PROCESS_ID)


def approve(workflow, expected_step, actor):
    """Complete the one ready manual task, which must be expected_step."""
    from SpiffWorkflow.util.task import TaskState

    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    if len(ready) != 1 or ready[0].task_spec.name != expected_step:
        raise RuntimeError(f"expected {expected_step} ready, got {[t.task_spec.name for t in ready]}")
    task = ready[0]
    task.set_data(**{f"{expected_step}_outcome": "approve", f"{expected_step}_by": actor})
    task.run()
    workflow.do_engine_steps()


def client(idx, db_path, max_instances, ready_barrier, go_barrier, t0_value, seconds, results):
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

    try:
        spec = load_spec()
        serializer = BpmnWorkflowSerializer()
        conn = connect(db_path)
        actor = f"client-{idx}"
        decisions = 0
        instances = 0
        ready_barrier.wait()
        go_barrier.wait()
        t0 = t0_value.value
        deadline = t0 + seconds
        while time.monotonic() < t0:
            time.sleep(0.0005)

        while instances < max_instances and time.monotonic() < deadline:
            # create an instance (in memory; runs start event up to step 1)
            wf = BpmnWorkflow(spec)
            wf.do_engine_steps()
            instance_id = str(uuid.uuid4())

            # decision 1: one durable transaction
            approve(wf, STEPS[0], actor)
            state = serializer.serialize_json(wf)
            now = time.time()
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(
                    "INSERT INTO workflow_instance (id, version, completed, state, updated_at) VALUES (?, 1, ?, ?, ?)",
                    (instance_id, int(wf.completed), state, now),
                )
                conn.execute(
                    "INSERT INTO decision (instance_id, task, outcome, actor, decided_at) VALUES (?, ?, 'approve', ?, ?)",
                    (instance_id, STEPS[0], actor, now),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            decisions += 1
            if time.monotonic() >= deadline:
                break

            # decision 2: load, deserialize, complete, persist in one durable transaction
            version, state = conn.execute(
                "SELECT version, state FROM workflow_instance WHERE id = ?", (instance_id,)
            ).fetchone()
            wf = serializer.deserialize_json(state)
            approve(wf, STEPS[1], actor)
            if not wf.completed:
                raise RuntimeError("workflow not completed after step 2")
            state = serializer.serialize_json(wf)
            now = time.time()
            conn.execute("BEGIN IMMEDIATE")
            try:
                cur = conn.execute(
                    "UPDATE workflow_instance SET version = version + 1, completed = 1, state = ?, updated_at = ? "
                    "WHERE id = ? AND version = ?",
                    (state, now, instance_id, version),
                )
                if cur.rowcount != 1:
                    raise RuntimeError("concurrent update of an instance")
                conn.execute(
                    "INSERT INTO decision (instance_id, task, outcome, actor, decided_at) VALUES (?, ?, 'approve', ?, ?)",
                    (instance_id, STEPS[1], actor, now),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            decisions += 1
            instances += 1

        t_end = time.monotonic()
        conn.close()
        results.put((idx, decisions, instances, t_end, None))
    except BaseException as exc:  # report, never hang the parent
        results.put((idx, 0, 0, time.monotonic(), f"{type(exc).__name__}: {exc}"))


def on_tmpfs(path):
    path = os.path.realpath(path)
    best, fstype = "", ""
    try:
        with open("/proc/mounts") as f:
            for line in f:
                parts = line.split()
                mnt, typ = parts[1], parts[2]
                if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) > len(best):
                    best, fstype = mnt, typ
    except OSError:
        return False
    return fstype in ("tmpfs", "ramfs")


def remove_db(path):
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.remove(path + suffix)
        except FileNotFoundError:
            pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=8, help="client processes (default 8)")
    ap.add_argument("--seconds", type=float, default=10.0, help="measured wall time (default 10)")
    ap.add_argument("--db", default=None, help="SQLite file to create (must not exist; default: temp dir, named with the pid)")
    ap.add_argument("--max-instances", type=int, default=100_000, help="per-client bound on instances (default 100000)")
    ap.add_argument("--keep-db", action="store_true", help="do not delete the database file at the end")
    args = ap.parse_args()
    if args.clients < 1 or args.seconds <= 0 or args.max_instances < 1:
        ap.error("--clients, --seconds and --max-instances must be positive")

    db_path = args.db or os.path.join(tempfile.gettempdir(), f"spiff_approval_{os.getpid()}.sqlite")
    db_path = os.path.abspath(db_path)
    if os.path.exists(db_path):
        ap.error(f"{db_path} exists; refusing to reuse a database")
    if on_tmpfs(os.path.dirname(db_path)):
        print(f"warning: {db_path} is on tmpfs, fsync is free there; pass --db on a real disk", file=sys.stderr)

    # Ctrl-C or a TERM still runs the clean-up below (a background job may inherit SIGINT ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    load_spec()  # fail early on a bad BPMN file
    try:
        conn = connect(db_path)
        conn.executescript(SCHEMA)
        conn.close()

        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        ready_barrier = ctx.Barrier(args.clients + 1)
        go_barrier = ctx.Barrier(args.clients + 1)
        t0_value = ctx.Value("d", 0.0)
        results = ctx.Queue()
        procs = [
            ctx.Process(
                target=client,
                args=(i, db_path, args.max_instances, ready_barrier, go_barrier, t0_value, args.seconds, results),
                daemon=True,
            )
            for i in range(args.clients)
        ]
        for p in procs:
            p.start()
        ready_barrier.wait(timeout=120)
        t0_value.value = time.monotonic() + 0.05
        go_barrier.wait(timeout=120)
        t0 = t0_value.value

        outs = []
        hard_limit = t0 + args.seconds + 120
        while len(outs) < args.clients:
            remaining = hard_limit - time.monotonic()
            if remaining <= 0:
                raise RuntimeError("clients did not finish in time")
            outs.append(results.get(timeout=remaining))
        for p in procs:
            p.join(timeout=10)
        errors = [(i, e) for (i, _, _, _, e) in outs if e]
        if errors:
            raise RuntimeError(f"client errors: {errors}")

        decisions = sum(o[1] for o in outs)
        instances = sum(o[2] for o in outs)
        elapsed = max(o[3] for o in outs) - t0

        conn = sqlite3.connect(db_path)
        stored = conn.execute("SELECT count(*) FROM decision").fetchone()[0]
        done = conn.execute("SELECT count(*) FROM workflow_instance WHERE completed = 1").fetchone()[0]
        conn.close()
        if stored != decisions or done != instances:
            raise RuntimeError(f"stored {stored} decisions / {done} instances, counted {decisions} / {instances}")

        print(
            json.dumps(
                {
                    "peer": "spiffworkflow",
                    "version": spiff_version(),
                    "decisions": decisions,
                    "seconds": round(elapsed, 3),
                    "decisions_per_s": round(decisions / elapsed, 1),
                    "clients": args.clients,
                    "synchronous": "FULL",
                    "journal_mode": "WAL",
                    "client_kind": "processes",
                    "instances_completed": instances,
                }
            ),
            flush=True,
        )
    finally:
        if not args.keep_db:
            remove_db(db_path)


if __name__ == "__main__":
    main()
