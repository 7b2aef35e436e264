#!/usr/bin/env bash
# bench/syscall.sh: what imprint's kernel-side layers cost every system call of the host while a
# container is protected (docs/protect.md, "What it costs"). The syscall tracepoints the
# mapping check uses put every system call on the kernel's slow syscall path, not only the
# protected container's.
#
#   sudo bench/syscall.sh
#
# A static C loop of BENCH_CALLS `syscall(SYS_getppid)` (a system call that does nothing) runs
# on the host, BENCH_RUNS times with `imprint protect --mode enforce` protecting a busybox
# container of the test images' store, then BENCH_RUNS times after it stopped; the report is
# the median ns per call of each and the difference. Same needs as bench/protect.sh (root,
# build/imprint, the busybox test image, podman, gcc).
#
#   IMPRINT      the binary under test (default build/imprint)
#   BENCH_STORE, BENCH_RUNROOT  podman store of the test images (default /var/tmp/imprint-test-images)
#   BENCH_CALLS  system calls per run (default 5000000)
#   BENCH_RUNS   runs per variant (default 7)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
IMPRINT=${IMPRINT:-$top/build/imprint}
STORE=${BENCH_STORE:-/var/tmp/imprint-test-images/storage}
RUNROOT=${BENCH_RUNROOT:-/var/tmp/imprint-test-images/run}
CALLS=${BENCH_CALLS:-5000000}
RUNS=${BENCH_RUNS:-7}
PIN=/sys/fs/bpf/imprint-bench-syscall-$$

die() { echo "bench: error: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "needs root"
[ -x "$IMPRINT" ] || die "no $IMPRINT (scripts/build.sh)"
work=$(mktemp -d /tmp/imprint-bench-syscall.XXXXXX)
pod() { podman --root "$STORE" --runroot "$RUNROOT" --storage-driver overlay "$@"; }
cid=
protect_pid=
cleanup() {
	[ -n "$protect_pid" ] && kill "$protect_pid" 2>/dev/null && wait "$protect_pid" 2>/dev/null
	[ -n "$cid" ] && pod rm -f -t 0 "$cid" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/loop.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	long n = atol(argv[1]);
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
	return 0;
}
EOF
gcc -O2 -static -o "$work/loop" "$work/loop.c" || die "cannot compile the loop (gcc, libc6-dev)"

# median NS...: the middle value
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
measure() { for _ in $(seq "$RUNS"); do "$work/loop" "$CALLS"; done; }

cid=$(pod run -d --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
	--entrypoint /bin/sh localhost/busybox:latest -c 'sleep 1000') ||
	die "cannot start a busybox container (tests/lib/mkimages.sh /var/tmp/imprint-test-images busybox)"
"$IMPRINT" protect --container "$cid" --storage-root "$STORE" --pin-dir "$PIN" --mode enforce \
	>"$work/out" 2>"$work/err" &
protect_pid=$!
for _ in $(seq 100); do grep -q 'layers:' "$work/err" && break; sleep 0.2; done
grep -q 'bpf mmap (' "$work/err" || die "protect did not start: $(cat "$work/err")"
on=$(median $(measure))
kill "$protect_pid" && wait "$protect_pid" || true
protect_pid=
off=$(median $(measure))
echo "getppid() on the host, $CALLS calls, median of $RUNS runs (ns per call):"
echo "  a container protected (imprint protect --mode enforce)   $on"
echo "  nothing protected                                        $off"
awk -v a="$on" -v b="$off" 'BEGIN {printf "  added per system call                                    %+.1f\n", a - b}'
echo "  $(grep -o 'layers: .*' "$work/err")"
