#!/bin/sh
# Runs every benchmark; each prints its measurement and its ratio to a
# reference measured in the same run. One line per benchmark.
set -e
BUILD=${BUILD:-build}
"$BUILD"/bench/fax-engine
