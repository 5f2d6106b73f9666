#!/usr/bin/env python3
"""Runs every test: the Check unit runner and each integration test under
tests/integration (executable files named test_*), each under a time limit,
several at a time.

Most integration tests spend their time waiting on real-time fax calls and
protocol timers, not on the CPU, so they run side by side (T37_JOBS at once,
default: the number of cores plus one). A test that loads the machine itself
or measures timing (many calls at once, floods, thousands of connections)
says so with a line "t37-test: exclusive" near its top and runs alone; one
that takes minutes says "t37-test: long" and is started early, so the run
does not end waiting on it.

An integration test exits 0 (pass), 77 (skipped, with the reason on its last
line) or anything else (fail). Environment for them: BUILD (absolute build
directory), SRCDIR (the source tree), T37_SANITIZED=1 under `make asan`.
With T37_NO_SKIP=1 (CI, where every dependency is installed) a skipped test
counts as failed: a skip there means the test did not check what it claims.
T37_ONLY=NAME[,NAME...] runs only those tests ("unit" for the unit runner).
Each test's output is in BUILD/tests/NAME.log. The run ends with one line:
"tests: N passed, N failed".
"""
import os
import re
import signal
import subprocess
import sys
import time

SRCDIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.abspath(os.path.join(SRCDIR, os.environ.get("BUILD", "build")))
TEST_TIMEOUT = int(os.environ.get("TEST_TIMEOUT", "600"))
KILL_GRACE = 10                 # seconds between SIGTERM and SIGKILL
MARKER_LINES = 40               # where a test's "t37-test:" line may be
NO_SKIP = os.environ.get("T37_NO_SKIP", "0") == "1"
ONLY = [n for n in os.environ.get("T37_ONLY", "").split(",") if n]
LOGDIR = os.path.join(BUILD, "tests")


def jobs():
    try:
        n = int(os.environ.get("T37_JOBS", "0"))
    except ValueError:
        n = 0
    return n if n > 0 else (os.cpu_count() or 1) + 1


def markers(path):
    """The words of a test's "t37-test:" line (exclusive, long)."""
    try:
        with open(path, "r", errors="replace") as f:
            for _ in range(MARKER_LINES):
                line = f.readline()
                m = re.search(r"t37-test:\s*(.*)", line)
                if m:
                    return set(m.group(1).split())
    except OSError:
        pass
    return set()


class Test:
    def __init__(self, name, argv, marks=(), extra_env=None):
        self.name, self.argv, self.marks = name, argv, set(marks)
        self.extra_env = extra_env or {}
        self.log = os.path.join(LOGDIR, name + ".log")
        self.proc = self.start_time = self.term_time = None

    def start(self, env):
        self.logf = open(self.log, "wb")
        self.start_time = time.monotonic()
        try:
            self.proc = subprocess.Popen(self.argv, cwd=SRCDIR, env=dict(env, **self.extra_env),
                                         stdin=subprocess.DEVNULL, stdout=self.logf,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as e:
            self.logf.write(("cannot start %s: %s\n" % (self.argv[0], e)).encode())
            self.proc = subprocess.Popen(["false"], start_new_session=True)

    def poll(self):
        """The exit code once the test has ended; kills it past its limit."""
        rc = self.proc.poll()
        now = time.monotonic()
        if rc is None and now - self.start_time > TEST_TIMEOUT:
            if self.term_time is None:
                self.term_time = now
                self.signal(signal.SIGTERM)
            elif now - self.term_time > KILL_GRACE:
                self.signal(signal.SIGKILL)
        if rc is not None:
            # whatever the test left behind in its session goes with it
            self.signal(signal.SIGKILL)
            self.logf.close()
            if self.term_time is not None:
                rc = 124
        return rc

    def signal(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def secs(self):
        return int(time.monotonic() - self.start_time)

    def tail(self, n=25):
        try:
            with open(self.log, "r", errors="replace") as f:
                return f.read().splitlines()[-n:]
        except OSError:
            return []


def unit_result(t, rc):
    """(passed, failed) from the Check runner's summary line."""
    lines = t.tail(100000)
    for line in lines:
        if re.search(r":[FE]:", line):
            print("    " + line)
    summary = [l for l in lines if re.match(r"^[0-9]+%: Checks: [0-9]+", l)]
    if not summary:
        print("FAIL: %s (exit %d, no summary); last lines of %s:" % (t.name, rc, t.log))
        for line in t.tail():
            print("    " + line)
        return 0, 1
    m = re.search(r"Checks: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+)", summary[-1])
    checks, fails, errors = (int(x) for x in m.groups())
    if fails + errors == 0 and rc != 0:
        # a runner that failed no check but exited badly (a sanitizer
        # report at its exit, say) has failed all the same
        print("FAIL: %s (exit %d after %s); last lines of %s:" % (t.name, rc, summary[-1], t.log))
        for line in t.tail():
            print("    " + line)
        return checks, 1
    print("%s: %s (%ds)" % (t.name, summary[-1], t.secs()))
    return checks - fails - errors, fails + errors


def main():
    os.makedirs(LOGDIR, exist_ok=True)
    env = dict(os.environ, SRCDIR=SRCDIR, BUILD=BUILD)
    # Check kills a test after 4 s by default; sanitizer builds and a
    # machine running several tests are slower, so allow more before
    # calling it a hang.
    env.setdefault("CK_TIMEOUT_MULTIPLIER", "5")

    # The unit suites run in as many shards as tests run at once.
    tests = []
    unrunnable = []
    if not ONLY or "unit" in ONLY:
        n = jobs()
        for i in range(1, n + 1):
            tests.append(Test("unit-%dof%d" % (i, n), [os.path.join(BUILD, "tests", "unit")],
                              ["long", "unit"], {"T37_SHARD": "%d/%d" % (i, n)}))
    idir = os.path.join(SRCDIR, "tests", "integration")
    for name in sorted(os.listdir(idir)):
        path = os.path.join(idir, name)
        if not name.startswith("test_") or not os.path.isfile(path):
            continue
        if ONLY and name not in ONLY:
            continue
        if not os.access(path, os.X_OK):
            # a test that would silently never run
            print("FAIL: %s is not executable (chmod +x)" % name, flush=True)
            unrunnable.append(name)
            continue
        tests.append(Test(name, [path], markers(path)))

    # Exclusive tests first, one by one; then the rest, the long ones first.
    exclusive = [t for t in tests if "exclusive" in t.marks]
    shared = [t for t in tests if "exclusive" not in t.marks]
    shared.sort(key=lambda t: "long" not in t.marks)
    queue = exclusive + shared
    width = jobs()

    passed = skipped = 0
    failed = len(unrunnable)
    failures = list(unrunnable)
    running = []
    while queue or running:
        while queue and len(running) < width:
            nxt = queue[0]
            alone = "exclusive" in nxt.marks
            if running and (alone or any("exclusive" in r.marks for r in running)):
                break
            queue.pop(0)
            nxt.start(env)
            running.append(nxt)
            if alone:
                break
        time.sleep(0.2)
        for t in list(running):
            rc = t.poll()
            if rc is None:
                continue
            running.remove(t)
            if "unit" in t.marks:
                p, f = unit_result(t, rc)
                passed += p
                failed += f
                if f:
                    failures.append(t.name)
            elif rc == 0:
                passed += 1
                print("PASS: %s (%ds)" % (t.name, t.secs()))
            elif rc == 77 and not NO_SKIP:
                skipped += 1
                print("SKIP: %s: %s" % (t.name, (t.tail(1) or [""])[0]))
            elif rc == 77:
                failed += 1
                failures.append(t.name)
                print("FAIL: %s skipped where nothing may be: %s" % (t.name, (t.tail(1) or [""])[0]))
            else:
                failed += 1
                failures.append(t.name)
                why = "timed out after %d s" % TEST_TIMEOUT if rc == 124 else "exit %d" % rc
                print("FAIL: %s (%s, %ds); last lines of %s:" % (t.name, why, t.secs(), t.log))
                for line in t.tail():
                    print("    " + line)
            sys.stdout.flush()

    if failures:
        print("failed: " + " ".join(failures))
    if skipped:
        print("tests: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    else:
        print("tests: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
