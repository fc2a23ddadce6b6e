#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# make bench: starts one loopback registry, runs every bench/*.sh against it
# (each prints its figures side by side with a peer's), stops the registry.
# Benchmarks measure; they never pass or fail on a time.
set -e
HALLMARK=${HALLMARK:-$(pwd)/build/hallmark}
export HALLMARK
. tests/lib/registry.sh
registry_start
trap "registry_stop || true" EXIT INT TERM
for b in bench/*.sh; do
	[ "$b" = bench/run.sh ] && continue
	echo "== $b"
	sh "$b" || echo "bench: $b failed (exit $?)"
done
