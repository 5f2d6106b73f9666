#!/bin/sh
# Runs every test (the Check unit runner and tests/integration/test_*),
# several at a time; see tests/run.py for the rules and the environment
# it reads (BUILD, T37_ONLY, T37_JOBS, TEST_TIMEOUT, T37_NO_SKIP).
exec python3 "$(dirname "$0")/run.py" "$@"
