#!/usr/bin/env bash
# bench/protect.sh: what `imprint protect --mode enforce` (docs/protect.md) costs a container,
# against the same container with no protection and under fapolicyd (the Debian package) with
# an equivalent allowlist. In one run, on the same workloads, the variants interleaved
# (A B C, B C A, C A B, ...), each round in a fresh busybox container:
#
#   exec storm     fork + execve of /bin/true (the image's busybox) + wait, BENCH_EXECS times
#   connect storm  TCP connect to an allowed loopback destination (a listener in the same
#                  process, 127.0.0.1:BENCH_PORT, in the container's own network namespace:
#                  --network none) + accept + close, BENCH_CONNECTS times
#
# and then, in the same round, in a fresh Debian (minbase) container:
#
#   dynamic exec storm  fork + execve of /bin/true (Debian's coreutils: dynamically linked, so
#                  the kernel also opens ld.so and ld.so opens and maps libc) + wait,
#                  BENCH_EXECS times
#   mmap storm     dlopen + dlclose of an image library (BENCH_DLOPEN_LIB, zlib), BENCH_DLOPENS
#                  times: every dlopen opens the file anew and maps its text PROT_EXEC (what
#                  imprint's mapping layer, syscall tracepoints on mmap/mprotect, judges)
#
#   none        nothing
#   imprint     imprint protect --mode enforce --allow-exec WORKLOAD --allow-net
#               127.0.0.1:PORT/tcp (every layer: fanotify exec, the pinned tp_btf exec check,
#               cgroup connect/sendmsg, and the syscall-tracepoint mapping check when the build
#               has it: the report says whether it was on)
#   fapolicyd   fapolicyd --debug-deny with a 3-rule allowlist: execute only files of its trust
#               file (the image's /bin/busybox and the workload: path, size, SHA-256;
#               integrity = sha256; in the Debian container /usr/bin/true, ld.so, libc and
#               the library instead of busybox), deny every other execute, allow opens
#
# then the first exec of each run (the one exec imprint decides in user space: later ones hit
# the fanotify ignore mark), the peak RSS (VmHWM) of imprint protect, and PASS/FAIL per target.
#
# The workload is a static C program (`storm`, compiled here with gcc -static), bind-mounted
# into the container at /h and started with `podman exec`; it measures its own time
# (CLOCK_MONOTONIC), so podman's start-up is not in the figures. The mmap storm needs dlopen,
# which a static program cannot do reliably: it runs `dstorm`, the same source compiled
# dynamically against the host's glibc (Debian 12's, as in the image; it needs only libc.so.6),
# which in the container loads the image's ld.so and libc.
#
# fapolicyd runs in a private mount namespace (unshare --mount --propagation private) in which
# /etc/fapolicyd, /var/lib/fapolicyd, /run and /var/log are this script's own temporary
# directories and every overlay mount but the container's is unmounted: it marks only the
# container's overlay filesystem (watch_fs = overlay, allow_filesystem_mark = 1), reads only
# this script's rules and trust file, and touches no file of the host's. It is stopped (by its
# pid) after each run and when the script exits, whatever happens.
#
# Environment:
#   IMPRINT            imprint binary           (default: build/imprint in the repository)
#   BENCH_STORE        podman store holding the images (default: /var/tmp/imprint-test-images/storage;
#                                               only containers of ours are created and removed)
#   BENCH_RUNROOT      its runroot              (default: /var/tmp/imprint-test-images/run)
#   BENCH_IMAGE        image of the exec and connect storms (default: localhost/busybox:latest)
#   BENCH_DEB_IMAGE    image of the dynamic exec and mmap storms (default: localhost/debian:latest;
#                      tests/lib/mkimages.sh /var/tmp/imprint-test-images debian builds it)
#   BENCH_WORK         scratch space            (default: /var/tmp/imprint-bench; this script uses
#                                               its subdirectory protect/)
#   BENCH_RUNS         timed rounds; each runs every variant once (default: 5)
#   BENCH_EXECS        execs per exec storm and per dynamic exec storm (default: 20000)
#   BENCH_DLOPENS      dlopen + dlclose per mmap storm (default: 100000)
#   BENCH_DLOPEN_LIB   the library of the mmap storm, a path in BENCH_DEB_IMAGE
#                      (default: /usr/lib/x86_64-linux-gnu/libz.so.1, zlib1g of Debian minbase)
#   BENCH_CONNECTS     connects per connect storm (default: 20000)
#   BENCH_CONNECT_REPS connect storms per variant and round (default: 3; one takes ~1 s, so a
#                      single one is at the mercy of other processes' load)
#   BENCH_PORT         the allowed loopback port (default: 7777; PORT+1 is the refused one)
#   BENCH_FAPOLICYD_INTEGRITY  fapolicyd's integrity setting (default: sha256, like imprint's
#                      check; size or none make fapolicyd cheaper and weaker)
#
# Targets (printed next to the results): imprint adds at most 5% to the exec storm's median and
# less than half of what fapolicyd adds; at most 5% to the connect storm; at most 5% to the
# dynamic exec storm's median and less than half of what fapolicyd adds; at most 10% to the mmap
# storm's median and less than half of what fapolicyd adds; VmHWM of imprint protect (busybox
# rounds) below 48 MiB.
#
# Must run as root (fanotify, eBPF, podman, mount namespaces).
# Exit status: 0 when every command ran and every check passed, whether or not the targets are
# met; 2 when a command failed, a tool is missing, or a check showed that a protection did not
# see the workload (or did not refuse what it must).
set -euo pipefail
export LC_ALL=C

top=$(cd "$(dirname "$0")/.." && pwd)
IMPRINT=${IMPRINT:-$top/build/imprint}
STORE=${BENCH_STORE:-/var/tmp/imprint-test-images/storage}
RUNROOT=${BENCH_RUNROOT:-/var/tmp/imprint-test-images/run}
IMAGE=${BENCH_IMAGE:-localhost/busybox:latest}
DEB_IMAGE=${BENCH_DEB_IMAGE:-localhost/debian:latest}
WORK=${BENCH_WORK:-/var/tmp/imprint-bench}/protect
RUNS=${BENCH_RUNS:-5}
EXECS=${BENCH_EXECS:-20000}
CONNECTS=${BENCH_CONNECTS:-20000}
DLOPENS=${BENCH_DLOPENS:-100000}
DLOPEN_LIB=${BENCH_DLOPEN_LIB:-/usr/lib/x86_64-linux-gnu/libz.so.1}
CONNECT_REPS=${BENCH_CONNECT_REPS:-3}
PORT=${BENCH_PORT:-7777}
INTEGRITY=${BENCH_FAPOLICYD_INTEGRITY:-sha256}

# Targets.
EXEC_PCT=5     # most imprint may add to the exec storm's median, %
EXEC_VS_FAP=0.5 # imprint's added time must be below this fraction of fapolicyd's
CONNECT_PCT=5  # most imprint may add to the connect storm's median, %
DEXEC_PCT=5    # most imprint may add to the dynamic exec storm's median, %
DEXEC_VS_FAP=0.5 # ... and below this fraction of fapolicyd's added time
MMAP_PCT=10    # most imprint may add to the mmap storm's median, %
MMAP_VS_FAP=0.5 # ... and below this fraction of fapolicyd's added time
HWM_MIB=48     # VmHWM of imprint protect must stay below this

case "${1:-}" in
"") ;;
-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
*) echo "bench: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

log() { echo "bench: $*" >&2; }
die() { echo "bench: error: $*" >&2; exit 2; }

# --- preflight -----------------------------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || die "run as root (fanotify, eBPF, podman, mount namespaces)"
case "$IMPRINT" in /*) ;; *) IMPRINT=$PWD/$IMPRINT ;; esac
[ -x "$IMPRINT" ] || die "imprint binary not found at $IMPRINT (build it with scripts/build.sh, or set IMPRINT=)"
for tool in podman gcc readelf jq awk sort unshare findmnt fapolicyd sha256sum; do
	command -v "$tool" >/dev/null || die "$tool is not installed (see scripts/packages.txt)"
done
for v in RUNS EXECS CONNECTS CONNECT_REPS PORT DLOPENS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "BENCH_$v must be a positive integer, not '${!v}'"
done
[ "$PORT" -lt 65535 ] || die "BENCH_PORT must be below 65535"
case $INTEGRITY in none | size | sha256) ;; *) die "BENCH_FAPOLICYD_INTEGRITY must be none, size or sha256" ;; esac
case $DLOPEN_LIB in /*) ;; *) die "BENCH_DLOPEN_LIB must be an absolute path in $DEB_IMAGE" ;; esac
# A fapolicyd of the host's would decide our container's execs in every variant.
if pgrep -x fapolicyd >/dev/null; then
	die "a fapolicyd is running already (pid $(pgrep -x fapolicyd | paste -sd,)): stop it first"
fi
PODMAN=(podman --root "$STORE" --runroot "$RUNROOT" --storage-driver overlay)
"${PODMAN[@]}" image exists "$IMAGE" || die "$IMAGE is not in the podman store $STORE (tests/lib/mkimages.sh)"
"${PODMAN[@]}" image exists "$DEB_IMAGE" ||
	die "$DEB_IMAGE is not in the podman store $STORE (tests/lib/mkimages.sh /var/tmp/imprint-test-images debian)"
mkdir -p "$WORK"

# Layout of WORK: h/ (bind-mounted at /h: storm, dstorm), storm.c, run/ (the files of the current
# variant), fapolicyd/ (its etc, lib; remade for every run), report.txt.
RUN=$WORK/run
FAPD=$WORK/fapolicyd
PIN=/sys/fs/bpf/imprint-bench-$$

# --- the workload ----------------------------------------------------------------------------------

build_storm() {
	log "compiling the workload ($WORK/h/storm, static; $WORK/h/dstorm, dynamic)"
	mkdir -p "$WORK/h"
	cat >"$WORK/storm.c" <<'EOF'
/* storm: the workloads of bench/protect.sh, run inside the container. One line on stdout,
 * times measured inside (CLOCK_MONOTONIC); any failure: exit 1.
 *   storm exec N PROG     fork + execve(PROG) + wait, N times (PROG must exit 0):
 *                         "exec n=N ns=TOTAL first_ns=FIRST median_ns=MEDIAN" (FIRST: the first
 *                         iteration; MEDIAN: of the others)
 *   storm connect N PORT  listen on 127.0.0.1:PORT, then N times socket + connect + accept +
 *                         close both (the client with SO_LINGER 0: no TIME_WAIT is left, so
 *                         rounds never run out of ports): "connect n=N ns=TOTAL"
 *   storm try PORT        one connect to 127.0.0.1:PORT: "try ok" or "try errno=N"
 * Compiled with -DSTORM_DLOPEN (dstorm, dynamically linked: a static program cannot dlopen
 * reliably), also:
 *   storm dlopen N LIB    dlopen(LIB, RTLD_NOW) + dlclose, N times; LIB must be unloaded by
 *                         dlclose, so that each dlopen opens and maps it anew (checked after
 *                         the first and the last): "dlopen n=N ns=TOTAL first_ns=FIRST
 *                         median_ns=MEDIAN"
 *   storm try-dlopen LIB  one dlopen: "try-dlopen ok" or "try-dlopen error=MESSAGE" */
#define _GNU_SOURCE
#include <arpa/inet.h>
#ifdef STORM_DLOPEN
#include <dlfcn.h>
#endif
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void fail(const char *what)
{
	fprintf(stderr, "storm: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 0;
	long long t0, t1;

	if (argc == 4 && strcmp(argv[1], "exec") == 0 && n > 1) {
		char *args[] = { argv[3], NULL };
		long long *d = malloc(n * sizeof(*d));

		if (!d)
			fail("malloc");
		t0 = now_ns();
		for (long i = 0; i < n; i++) {
			long long s = now_ns();
			int status;
			pid_t p = fork();

			if (p < 0)
				fail("fork");
			if (p == 0) {
				execve(argv[3], args, environ);
				fprintf(stderr, "storm: execve %s: %s\n", argv[3], strerror(errno));
				_exit(127);
			}
			if (waitpid(p, &status, 0) != p || !WIFEXITED(status) ||
			    WEXITSTATUS(status) != 0) {
				fprintf(stderr, "storm: %s failed (status %d)\n", argv[3], status);
				return 1;
			}
			d[i] = now_ns() - s;
		}
		t1 = now_ns();
		qsort(d + 1, n - 1, sizeof(*d), cmp);
		printf("exec n=%ld ns=%lld first_ns=%lld median_ns=%lld\n", n, t1 - t0, d[0],
		       d[1 + (n - 1) / 2]);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "connect") == 0 && n > 0) {
		struct sockaddr_in a = loopback(atoi(argv[3]));
		struct linger lin = { .l_onoff = 1, .l_linger = 0 };
		int one = 1, l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
		    bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 128) < 0)
			fail("listen");
		t0 = now_ns();
		for (long i = 0; i < n; i++) {
			int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), s;

			if (c < 0)
				fail("socket");
			if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
				fail("connect");
			s = accept(l, NULL, NULL);
			if (s < 0)
				fail("accept");
			setsockopt(c, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
			close(c);
			close(s);
		}
		t1 = now_ns();
		printf("connect n=%ld ns=%lld\n", n, t1 - t0);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "try") == 0) {
		struct sockaddr_in a = loopback(atoi(argv[2]));
		int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (c < 0)
			fail("socket");
		if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
			printf("try errno=%d\n", errno);
		else
			printf("try ok\n");
		return 0;
	}
#ifdef STORM_DLOPEN
	if (argc == 4 && strcmp(argv[1], "dlopen") == 0 && n > 1) {
		long long *d = malloc(n * sizeof(*d));

		if (!d)
			fail("malloc");
		t0 = now_ns();
		for (long i = 0; i < n; i++) {
			long long s = now_ns();
			void *h = dlopen(argv[3], RTLD_NOW | RTLD_LOCAL);

			if (!h || dlclose(h) != 0) {
				fprintf(stderr, "storm: dlopen %s: %s\n", argv[3], dlerror());
				return 1;
			}
			d[i] = now_ns() - s;
			/* still loaded: later dlopens would only count references (RTLD_NOLOAD opens
			 * the file once more, so only here and after the loop) */
			if ((i == 0 || i == n - 1) && dlopen(argv[3], RTLD_NOW | RTLD_NOLOAD)) {
				fprintf(stderr, "storm: %s stays loaded after dlclose\n", argv[3]);
				return 1;
			}
		}
		t1 = now_ns();
		qsort(d + 1, n - 1, sizeof(*d), cmp);
		printf("dlopen n=%ld ns=%lld first_ns=%lld median_ns=%lld\n", n, t1 - t0, d[0],
		       d[1 + (n - 1) / 2]);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "try-dlopen") == 0) {
		void *h = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);

		if (h)
			printf("try-dlopen ok\n");
		else
			printf("try-dlopen error=%s\n", dlerror());
		return 0;
	}
#endif
	fprintf(stderr, "usage: storm exec N PROG | connect N PORT | try PORT"
#ifdef STORM_DLOPEN
			" | dlopen N LIB | try-dlopen LIB"
#endif
			"\n");
	return 2;
}
EOF
	gcc -static -O2 -Wall -Wextra -Werror -o "$WORK/h/storm" "$WORK/storm.c" ||
		die "cannot compile storm.c statically (libc6-dev?)"
	gcc -O2 -Wall -Wextra -Werror -DSTORM_DLOPEN -o "$WORK/h/dstorm" "$WORK/storm.c" ||
		die "cannot compile storm.c with -DSTORM_DLOPEN"
	# the image provides libc; anything else dstorm needed would not be there
	[ "$(readelf -d "$WORK/h/dstorm" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')" = libc.so.6 ] ||
		die "dstorm needs more than libc.so.6: $(readelf -d "$WORK/h/dstorm" | grep NEEDED)"
}

# --- the container -------------------------------------------------------------------------------

CID=
CPID=
# container_start IMAGE: a fresh container of IMAGE (its /bin/sleep as the entrypoint), /h mounted.
container_start() {
	CID=$("${PODMAN[@]}" run -d --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
		-v "$WORK/h:/h:ro" --entrypoint /bin/sleep "$1" 1000000) ||
		die "cannot start a container of $1"
	CPID=$("${PODMAN[@]}" inspect -f '{{.State.Pid}}' "$CID")
}
container_stop() {
	[ -n "$CID" ] || return 0
	"${PODMAN[@]}" rm -f -t 0 "$CID" >/dev/null 2>&1 || true
	CID=
}
# cexec ARGS...: run ARGS in the container; output (both streams) in RUN/out; returns its status.
cexec() {
	"${PODMAN[@]}" exec "$CID" "$@" </dev/null >"$RUN/out" 2>&1
}

# --- imprint protect -----------------------------------------------------------------------------

PROTECT_PID=0
# protect_start PATH...: imprint protect on the container, the workload PATHs allowed to execute.
protect_start() {
	local i p
	local -a allow=()
	for p; do allow+=(--allow-exec "$p"); done
	: >"$RUN/protect.json"
	: >"$RUN/protect.err"
	"$IMPRINT" protect --container "$CID" --storage-root "$STORE" --pin-dir "$PIN" --json \
		--mode enforce "${allow[@]}" --allow-net "127.0.0.1:$PORT/tcp" \
		>"$RUN/protect.json" 2>"$RUN/protect.err" &
	PROTECT_PID=$!
	for ((i = 0; i < 600; i++)); do
		if grep -q '"protect_started"' "$RUN/protect.json"; then return 0; fi
		kill -0 "$PROTECT_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$RUN/protect.err" >&2
	die "imprint protect did not start"
}
# protect_stop: SIGTERM (it must exit 0 and say so); sets HWM (kB, read just before).
protect_stop() {
	local rc=0
	HWM=$(awk '/^VmHWM:/ { print $2 }' "/proc/$PROTECT_PID/status")
	kill -TERM "$PROTECT_PID"
	wait "$PROTECT_PID" || rc=$?
	PROTECT_PID=0
	[ "$rc" -eq 0 ] || { cat "$RUN/protect.err" >&2; die "imprint protect exited with $rc"; }
	grep -q 'stopped (signal)' "$RUN/protect.err" || { cat "$RUN/protect.err" >&2; die "imprint protect did not say it stopped"; }
	[ ! -e "$PIN" ] || die "imprint protect left pins in $PIN: $(ls "$PIN")"
}
# protect_upcalls: fanotify decisions of the stopped protect (its "fanotify allowed N" count).
protect_upcalls() {
	sed -n 's/.*fanotify allowed \([0-9]*\), denied \([0-9]*\).*/\1 \2/p' "$RUN/protect.err"
}

# --- fapolicyd -------------------------------------------------------------------------------------

FAP_PID=0
# fap_start PATH...: fapolicyd in its own mount namespace, watching only the container's overlay;
# its trust file lists PATHs (files of the container, as it sees them, symlinks resolved).
fap_start() {
	local merged sha size i f
	merged=$("${PODMAN[@]}" inspect -f '{{.GraphDriver.Data.MergedDir}}' "$CID")
	[ -d "$merged" ] || die "no merged directory for container ${CID:0:12}"
	rm -rf "$FAPD"
	mkdir -p "$FAPD/etc/rules.d" "$FAPD/etc/trust.d" "$FAPD/lib"
	chown fapolicyd:fapolicyd "$FAPD/lib" 2>/dev/null || true
	# uid/gid root: dropping to the fapolicyd user fails here ("Cannot change to uid").
	cat >"$FAPD/etc/fapolicyd.conf" <<-EOF
		permissive = 0
		nice_val = 14
		q_size = 640
		uid = root
		gid = root
		do_stat_report = 1
		detailed_report = 1
		db_max_size = 50
		subj_cache_size = 1549
		obj_cache_size = 8191
		watch_fs = overlay
		trust = file
		integrity = $INTEGRITY
		syslog_format = rule,dec,perm,auid,pid,exe,:,path,ftype,trust
		rpm_sha256_only = 0
		allow_filesystem_mark = 1
	EOF
	cp "$FAP_RULES" "$FAPD/etc/rules.d/50-bench.rules"
	cp "$FAP_RULES" "$FAPD/etc/compiled.rules"
	# The trust file: the image's busybox (/bin/true is a symlink to it) and the workload, as
	# the container sees them (fapolicyd reports the container's paths).
	: >"$FAPD/etc/fapolicyd.trust"
	for f; do
		sha=$(sha256sum "/proc/$CPID/root$f" | cut -d' ' -f1)
		size=$(stat -L -c %s "/proc/$CPID/root$f")
		echo "$f $size $sha" >>"$FAPD/etc/fapolicyd.trust"
	done
	: >"$RUN/fapolicyd.out"
	# shellcheck disable=SC2016 # $m and $KEEP are the inner shell's
	KEEP=$merged unshare --mount --propagation private -- sh -c '
		set -e
		for m in $(findmnt -rn -t overlay -o TARGET); do
			[ "$m" = "$KEEP" ] || umount -l "$m"
		done
		mount --bind "$0/etc" /etc/fapolicyd
		mount --bind "$0/lib" /var/lib/fapolicyd
		mount -t tmpfs -o mode=0755 fapolicyd-run /run
		mkdir -p /run/fapolicyd
		mount -t tmpfs -o mode=0755 fapolicyd-log /var/log
		exec fapolicyd --debug-deny' "$FAPD" >"$RUN/fapolicyd.out" 2>&1 &
	FAP_PID=$!
	for ((i = 0; i < 600; i++)); do
		if grep -q 'Starting to listen for events' "$RUN/fapolicyd.out"; then break; fi
		kill -0 "$FAP_PID" 2>/dev/null || break
		sleep 0.05
	done
	grep -q 'Starting to listen for events' "$RUN/fapolicyd.out" ||
		{ cat "$RUN/fapolicyd.out" >&2; die "fapolicyd did not start"; }
	grep -qF "added $merged mount point" "$RUN/fapolicyd.out" ||
		{ cat "$RUN/fapolicyd.out" >&2; die "fapolicyd does not watch the container's overlay ($merged)"; }
	[ "$(grep -c 'mount point$' "$RUN/fapolicyd.out")" -eq 1 ] ||
		{ cat "$RUN/fapolicyd.out" >&2; die "fapolicyd watches more than the container's overlay"; }
}
# fap_allowed: fapolicyd's "Allowed accesses" count (its state report, SIGUSR1).
fap_allowed() {
	local f=/proc/$FAP_PID/root/run/fapolicyd.state i
	rm -f "$f"
	kill -USR1 "$FAP_PID"
	# fapolicyd writes the report when its loop next wakes up, i.e. at the next event: make one
	# (an open of a container file, allowed by rule 3; it counts as one more access).
	for ((i = 0; i < 200; i++)); do
		head -c 1 "/proc/$CPID/root/etc/passwd" >/dev/null
		if grep -q '^Object evictions' "$f" 2>/dev/null; then break; fi
		sleep 0.05
	done
	awk -F': ' '/^Allowed accesses/ { print $2; found = 1 } END { exit !found }' "$f" ||
		die "fapolicyd wrote no state report"
}
fap_stop() {
	local i
	[ "$FAP_PID" -ne 0 ] || return 0
	kill -TERM "$FAP_PID" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$FAP_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$FAP_PID" 2>/dev/null || true
	wait "$FAP_PID" 2>/dev/null || true
	FAP_PID=0
}

# The rules (fapolicy.rules(5)); first match wins. Only the container's filesystem is watched,
# so "all" is the container.
FAP_RULES=$WORK/fapolicyd.rules
write_rules() {
	cat >"$FAP_RULES" <<-'EOF'
		allow perm=execute all : trust=1
		deny_audit perm=execute all : all
		allow perm=open all : all
	EOF
}

cleanup() {
	if [ "$PROTECT_PID" -ne 0 ]; then
		kill -TERM "$PROTECT_PID" 2>/dev/null || true
		wait "$PROTECT_PID" 2>/dev/null || true
	fi
	fap_stop
	container_stop
	if [ -d "$PIN" ]; then rm -f "$PIN"/*; rmdir "$PIN" || true; fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM

# --- storms ----------------------------------------------------------------------------------------

# storm_line MODE N: the storm's line in RUN/out, which must say MODE n=N.
storm_line() {
	local line
	line=$(grep -E "^$1 n=$2 ns=[0-9]+" "$RUN/out" || true)
	[ -n "$line" ] || { cat "$RUN/out" >&2; die "storm $1 printed no '$1 n=$2 ns=...' line"; }
	echo "$line"
}
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$2"; }

declare -A T C F M # "VARIANT": exec storm us / connect storm us / first exec ns / median exec ns
declare -A DT DM   # "VARIANT": dynamic exec storm us / median exec ns (Debian container)
declare -A L LM    # "VARIANT": mmap storm us / median dlopen ns (Debian container)
declare -A UP      # "imprint": fanotify decisions per run; "fapolicyd": accesses allowed per run;
                   # "dimprint": the same in the Debian container; "dexec", "mmap": fapolicyd's
                   # accesses allowed per dynamic exec storm, per mmap storm
HWMS=""            # VmHWM of imprint protect per run, kB (busybox container: the target)
DHWMS=""           # the same in the Debian container (reported)
storms() {
	local v=$1 line k
	cexec /h/storm exec "$EXECS" /bin/true || { cat "$RUN/out" >&2; die "exec storm failed under $v"; }
	line=$(storm_line exec "$EXECS")
	T[$v]+="$(($(field ns "$line") / 1000)) "
	F[$v]+="$(field first_ns "$line") "
	M[$v]+="$(field median_ns "$line") "
	for ((k = 0; k < CONNECT_REPS; k++)); do
		cexec /h/storm connect "$CONNECTS" "$PORT" || { cat "$RUN/out" >&2; die "connect storm failed under $v"; }
		line=$(storm_line connect "$CONNECTS")
		C[$v]+="$(($(field ns "$line") / 1000)) "
	done
}
# deb_storms VARIANT: the dynamic exec storm and the mmap storm. Under fapolicyd its count of
# allowed accesses must grow by at least one per exec and one per dlopen: it saw every one.
deb_storms() {
	local v=$1 line a0=0 a1=0 a2=0
	[ "$v" != fapolicyd ] || a0=$(fap_allowed)
	cexec /h/storm exec "$EXECS" /bin/true || { cat "$RUN/out" >&2; die "dynamic exec storm failed under $v"; }
	line=$(storm_line exec "$EXECS")
	DT[$v]+="$(($(field ns "$line") / 1000)) "
	DM[$v]+="$(field median_ns "$line") "
	[ "$v" != fapolicyd ] || a1=$(fap_allowed)
	cexec /h/dstorm dlopen "$DLOPENS" "$DLOPEN_LIB" || { cat "$RUN/out" >&2; die "mmap storm failed under $v"; }
	line=$(storm_line dlopen "$DLOPENS")
	L[$v]+="$(($(field ns "$line") / 1000)) "
	LM[$v]+="$(field median_ns "$line") "
	[ "$v" = fapolicyd ] || return 0
	a2=$(fap_allowed)
	[ $((a1 - a0)) -ge "$EXECS" ] ||
		die "fapolicyd allowed only $((a1 - a0)) accesses during $EXECS dynamic execs: it does not see them"
	[ $((a2 - a1)) -ge "$DLOPENS" ] ||
		die "fapolicyd allowed only $((a2 - a1)) accesses during $DLOPENS dlopens: it does not see the library's opens"
	UP[dexec]+="$((a1 - a0)) "
	UP[mmap]+="$((a2 - a1)) "
}

# timed VARIANT KIND: VARIANT's storms in the current container, KIND busybox (exec, connect) or
# debian (dynamic exec, mmap); the protection is started before them and stopped after them.
timed() {
	local v=$1 kind=$2 a0 a1 up run=storms
	local -a allow=(/h/storm) trust=(/bin/busybox /h/storm)
	if [ "$kind" = debian ]; then
		run=deb_storms
		allow=(/h/storm /h/dstorm)
		trust=("${DEB_TRUST[@]}")
	fi
	case $v in
	none) $run none ;;
	imprint)
		protect_start "${allow[@]}"
		$run imprint
		protect_stop
		read -r up _ <<<"$(protect_upcalls)"
		if [ "$kind" = debian ]; then
			DHWMS+="$HWM "
			UP[dimprint]+="$up "
		else
			HWMS+="$HWM "
			UP[imprint]+="$up "
		fi
		# every decision was an allow: nothing of the workload was refused
		! grep -q '"decision":"deny"' "$RUN/protect.json" || die "imprint protect denied something of the workload: $(grep -m1 '"deny"' "$RUN/protect.json")"
		;;
	fapolicyd)
		fap_start "${trust[@]}"
		a0=$(fap_allowed)
		$run fapolicyd
		a1=$(fap_allowed)
		fap_stop
		# it decided (at least) every exec of the storm
		[ $((a1 - a0)) -ge "$EXECS" ] || die "fapolicyd allowed only $((a1 - a0)) accesses during $EXECS execs: it does not see them"
		! grep -q 'dec=deny' "$RUN/fapolicyd.out" || die "fapolicyd denied something of the workload: $(grep -m1 'dec=deny' "$RUN/fapolicyd.out")"
		[ "$kind" = debian ] || UP[fapolicyd]+="$((a1 - a0)) "
		;;
	esac
}

# --- checks: each protection sees the container and refuses what it must ------------------------------

# deny_test: copy busybox into the writable layer and run the copy; prints the output.
DROP='mkdir -p /tmp/drop && cp /bin/busybox /tmp/drop/busybox && /tmp/drop/busybox echo dropped-ran'
checks() {
	log "checks: a fresh container; a dropped binary and a connect to 127.0.0.1:$((PORT + 1)) with each variant"
	container_start "$IMAGE"
	BB_SIZE=$(stat -L -c %s "/proc/$CPID/root/bin/busybox")
	if ! cexec sh -c "$DROP" || ! grep -q dropped-ran "$RUN/out"; then cat "$RUN/out" >&2; die "check: the dropped binary does not run without protection"; fi
	cexec /h/storm try $((PORT + 1))
	grep -qx "try errno=111" "$RUN/out" || die "check: without protection a connect to a closed port gives '$(cat "$RUN/out")', not ECONNREFUSED (111)"

	protect_start /h/storm
	grep -q "bpf net (cgroup/connect4" "$RUN/protect.err" || die "check: imprint's network layer is not on: $(cat "$RUN/protect.err")"
	if cexec sh -c "$DROP" || grep -q dropped-ran "$RUN/out"; then die "check: the dropped binary ran under imprint protect"; fi
	grep -q 'Operation not permitted' "$RUN/out" || die "check: no EPERM for the dropped binary under imprint: $(cat "$RUN/out")"
	cexec /h/storm try $((PORT + 1))
	grep -qx "try errno=1" "$RUN/out" || die "check: under imprint a connect to an unallowed port gives '$(cat "$RUN/out")', not EPERM (1)"
	cexec /h/storm exec 2 /bin/true || die "check: /bin/true does not run under imprint protect: $(cat "$RUN/out")"
	sleep 0.3
	protect_stop
	jq -e -s 'any(.[]; .rule == "exec_not_allowed" and .output_fields["fd.name"] == "/tmp/drop/busybox")' "$RUN/protect.json" >/dev/null ||
		die "check: imprint protect did not report the dropped binary"
	jq -e -s 'any(.[]; .rule == "exec_allowed" and .output_fields["fd.name"] == "/bin/busybox")' "$RUN/protect.json" >/dev/null ||
		die "check: imprint protect did not decide /bin/busybox in user space"
	log "  ok: imprint protect refuses the dropped binary (EPERM) and the connect (EPERM), allows /bin/true"

	fap_start /bin/busybox /h/storm
	if cexec sh -c "$DROP" || grep -q dropped-ran "$RUN/out"; then die "check: the dropped binary ran under fapolicyd"; fi
	grep -q 'Operation not permitted' "$RUN/out" || die "check: no EPERM for the dropped binary under fapolicyd: $(cat "$RUN/out")"
	cexec /h/storm exec 2 /bin/true || die "check: /bin/true does not run under fapolicyd: $(cat "$RUN/out")"
	fap_stop
	grep -q 'rule=2 dec=deny_audit perm=execute .* path=/tmp/drop/busybox' "$RUN/fapolicyd.out" ||
		die "check: fapolicyd did not report the dropped binary: $(tail -n 5 "$RUN/fapolicyd.out")"
	log "  ok: fapolicyd refuses the dropped binary (rule 2, EPERM), allows /bin/true (trust file, rule 1)"
	container_stop
}

# creal PATH: PATH in the container with every symlink resolved (as fapolicyd reports it).
creal() {
	cexec readlink -e "$1" || die "check: $1 is not in $DEB_IMAGE: $(cat "$RUN/out")"
	cat "$RUN/out"
}
# try_dlopen VARIANT: dstorm dlopens the dropped copy of the library; DROPLIB[VARIANT] says what
# happened ("mapped", or how it was refused).
declare -A DROPLIB
try_dlopen() {
	local rc=0
	cexec /h/dstorm try-dlopen /tmp/drop/bench-dropped-lib.so || rc=$?
	if grep -qx 'try-dlopen ok' "$RUN/out"; then
		DROPLIB[$1]=mapped
	elif [ "$rc" -eq 137 ]; then
		DROPLIB[$1]="refused (dstorm killed)"
	else
		DROPLIB[$1]="refused ($(grep -m1 -o 'error=.*' "$RUN/out" || echo "exit $rc"))"
	fi
}
# checks_debian: in a fresh Debian container, with each variant, the storms' dynamic exec and
# dlopen run and are refused nothing (rather than a faster failure being measured), and a dropped
# copy of /usr/bin/true is refused (EPERM), by imprint and by rule 2 of fapolicyd, which proves
# that both see this container's execs. A dropped copy of the library must be refused by imprint
# when its mapping layer is on (MMAP_LAYER; a build without it does not check mappings, and the
# mmap storm then measures imprint without it); fapolicyd's rules allow every open, so it maps.
DEB_TRUST=()
MMAP_LAYER=
# imprint's denials of anything but the dropped copies (a mapping is reported by its file name only)
FOREIGN_DENY='[.[] | select(.decision == "deny" and (.output | test("/tmp/drop/|bench-dropped-lib[.]so") | not))]'
checks_debian() {
	local true_real interp lib_real f real
	local -a files reals=()
	log "checks: a fresh $DEB_IMAGE container; /bin/true, a dlopen of $DLOPEN_LIB and dropped copies of both with each variant"
	container_start "$DEB_IMAGE"
	# What the storms execute and load, as fapolicyd names them: /bin/true, its interpreter, the
	# libraries of both (libc), the library; and the workload.
	true_real=$(creal /bin/true)
	lib_real=$(creal "$DLOPEN_LIB")
	interp=$(readelf -l "/proc/$CPID/root$true_real" | sed -n 's/.*program interpreter: \(.*\)]$/\1/p')
	[ -n "$interp" ] || die "check: $true_real in $DEB_IMAGE is not dynamically linked"
	files=("$true_real" "$interp" "$lib_real")
	for f in "$true_real" "$lib_real"; do
		cexec "$interp" --list "$f" || die "check: $interp --list $f failed: $(cat "$RUN/out")"
		mapfile -t -O "${#files[@]}" files < <(sed -n 's/.* => \(\/[^ ]*\) .*/\1/p' "$RUN/out")
	done
	for f in "${files[@]}"; do
		real=$(creal "$f")
		reals+=("$real")
	done
	mapfile -t DEB_TRUST < <(printf '%s\n' "${reals[@]}" | sort -u)
	DEB_TRUST+=(/h/storm /h/dstorm)

	cexec /h/storm exec 2 /bin/true || die "check: /bin/true does not run in $DEB_IMAGE without protection: $(cat "$RUN/out")"
	cexec /h/dstorm dlopen 2 "$DLOPEN_LIB" || die "check: dstorm cannot dlopen $DLOPEN_LIB without protection: $(cat "$RUN/out")"
	if ! cexec mkdir -p /tmp/drop || ! cexec cp "$true_real" /tmp/drop/true || ! cexec cp "$lib_real" /tmp/drop/bench-dropped-lib.so; then
		die "check: cannot drop copies into /tmp/drop: $(cat "$RUN/out")"
	fi
	cexec /h/storm exec 2 /tmp/drop/true || die "check: the dropped /usr/bin/true does not run without protection: $(cat "$RUN/out")"
	try_dlopen none
	[ "${DROPLIB[none]}" = mapped ] || die "check: the dropped library does not load without protection: $(cat "$RUN/out")"

	protect_start /h/storm /h/dstorm
	MMAP_LAYER=$(grep -o 'bpf mmap ([^)]*)' "$RUN/protect.err" || echo "not in this build")
	if cexec /h/storm exec 2 /tmp/drop/true; then die "check: the dropped /usr/bin/true ran under imprint protect"; fi
	grep -q 'Operation not permitted' "$RUN/out" || die "check: no EPERM for the dropped /usr/bin/true under imprint: $(cat "$RUN/out")"
	cexec /h/storm exec 2 /bin/true || die "check: /bin/true does not run in $DEB_IMAGE under imprint protect: $(cat "$RUN/out")"
	cexec /h/dstorm dlopen 2 "$DLOPEN_LIB" || die "check: dstorm cannot dlopen $DLOPEN_LIB under imprint protect: $(cat "$RUN/out")"
	try_dlopen imprint
	sleep 0.3
	protect_stop
	jq -e -s 'any(.[]; .rule == "exec_not_allowed" and .output_fields["fd.name"] == "/tmp/drop/true")' "$RUN/protect.json" >/dev/null ||
		die "check: imprint protect did not report the dropped /usr/bin/true"
	! jq -e -s "$FOREIGN_DENY | length > 0" "$RUN/protect.json" >/dev/null ||
		die "check: imprint protect refused something of the storms: $(jq -c -s "$FOREIGN_DENY | .[0]" "$RUN/protect.json")"
	if [[ $MMAP_LAYER == "bpf mmap ("* ]]; then
		[ "${DROPLIB[imprint]}" != mapped ] || die "check: imprint's mapping layer is on ($MMAP_LAYER) but the dropped library was mapped"
		jq -e -s 'any(.[]; .rule == "mmap_not_allowed")' "$RUN/protect.json" >/dev/null ||
			die "check: imprint protect did not report the dropped library (mmap_not_allowed)"
	fi
	log "  ok: imprint protect refuses the dropped /usr/bin/true (EPERM), allows /bin/true and the dlopen; mapping layer: $MMAP_LAYER, dropped library ${DROPLIB[imprint]}"

	fap_start "${DEB_TRUST[@]}"
	if cexec /h/storm exec 2 /tmp/drop/true; then die "check: the dropped /usr/bin/true ran under fapolicyd"; fi
	grep -q 'Operation not permitted' "$RUN/out" || die "check: no EPERM for the dropped /usr/bin/true under fapolicyd: $(cat "$RUN/out")"
	cexec /h/storm exec 2 /bin/true || die "check: /bin/true does not run in $DEB_IMAGE under fapolicyd: $(cat "$RUN/out")"
	cexec /h/dstorm dlopen 2 "$DLOPEN_LIB" || die "check: dstorm cannot dlopen $DLOPEN_LIB under fapolicyd: $(cat "$RUN/out")"
	try_dlopen fapolicyd
	fap_stop
	grep -q 'rule=2 dec=deny_audit perm=execute .* path=/tmp/drop/true' "$RUN/fapolicyd.out" ||
		die "check: fapolicyd did not report the dropped /usr/bin/true: $(tail -n 5 "$RUN/fapolicyd.out")"
	! grep 'dec=deny' "$RUN/fapolicyd.out" | grep -vq 'path=/tmp/drop/' ||
		die "check: fapolicyd refused something of the storms: $(grep 'dec=deny' "$RUN/fapolicyd.out" | grep -v -m1 'path=/tmp/drop/')"
	log "  ok: fapolicyd refuses the dropped /usr/bin/true (rule 2, EPERM), allows /bin/true and the dlopen (trust file: ${DEB_TRUST[*]})"
	container_stop
}

bench() {
	local r i
	local -a order=(none imprint fapolicyd)
	log "timing: $RUNS rounds, each in a fresh busybox container (exec storm ($EXECS) + connect storm ($CONNECTS)), then in a fresh Debian container (dynamic exec storm ($EXECS) + mmap storm ($DLOPENS)), under none, imprint, fapolicyd, the order rotating"
	for ((r = 0; r < RUNS; r++)); do
		container_start "$IMAGE"
		for ((i = 0; i < 3; i++)); do
			timed "${order[(r + i) % 3]}" busybox
		done
		container_stop
		container_start "$DEB_IMAGE"
		for ((i = 0; i < 3; i++)); do
			timed "${order[(r + i) % 3]}" debian
		done
		container_stop
		log "  round $((r + 1))/$RUNS done (load $(cut -d' ' -f1-3 /proc/loadavg))"
	done
}

# --- report ------------------------------------------------------------------------------------------

# stats "V V ...": "MEDIAN MIN MAX" of the values.
stats() {
	tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		print m, v[1], v[NR] }'
}
calc() { awk "BEGIN { $1 }"; }
# paired "WITH..." "WITHOUT...": median over the rounds of WITH[i] / WITHOUT[i] - 1, in %.
paired() {
	local -a a b
	local i r=""
	read -r -a a <<<"$1"
	read -r -a b <<<"$2"
	for ((i = 0; i < ${#a[@]}; i++)); do r+="$(calc "printf \"%.6f\", (${a[i]} / ${b[i]} - 1) * 100") "; done
	stats "$r" | cut -d' ' -f1
}
verdict() { if calc "exit !($1)"; then echo PASS; else echo FAIL; fi; }
name() {
	case $1 in
	none) echo "no protection" ;;
	imprint) echo "imprint protect (enforce)" ;;
	fapolicyd) echo "fapolicyd (integrity $INTEGRITY)" ;;
	esac
}

# ops_table KEY TOTALS MEDIANS N UNIT DECIMALS: the table of a storm of N operations (exec,
# dynamic exec, mmap): median, min and max over the runs of TOTALS (the name of an array: each
# run's time in us, by variant), us per UNIT (with DECIMALS), added; the paired and per-UNIT
# estimates (MEDIANS: the name of an array of each run's median ns per operation); the added time
# per UNIT. Keeps what ops_summary needs under KEY.
declare -A S_RATIO S_IMP S_FAP S_PAIRED S_P0 S_PI S_PF
ops_table() {
	local key=$1 n=$4 unit=$5 prec=$6 v med min max w1 w2
	local -n tot=$2 per=$3
	local -A mid pmid
	w1=$((${#unit} + 7 > 11 ? ${#unit} + 7 : 11))
	w2=$((${#unit} + 4 > 9 ? ${#unit} + 4 : 9))
	printf "   %-34s %9s %9s %9s %${w1}s %9s\n" "" median min max "us per $unit" added
	for v in none imprint fapolicyd; do
		read -r med min max <<<"$(stats "${tot[$v]}")"
		mid[$v]=$med
		pmid[$v]=$(stats "${per[$v]}" | cut -d' ' -f1)
		printf "   %-34s %9.1f %9.1f %9.1f %${w1}.${prec}f %+8.1f%%\n" "$(name "$v")" "$(calc "print $med / 1000")" \
			"$(calc "print $min / 1000")" "$(calc "print $max / 1000")" "$(calc "print $med / $n")" \
			"$(calc "print ($med / ${mid[none]} - 1) * 100")"
	done
	printf "   %-34s %9s %${w2}s\n" "" paired "per $unit"
	for v in imprint fapolicyd; do
		printf "   %-34s %+8.1f%% %+$((w2 - 1)).1f%%\n" "$(name "$v")" "$(paired "${tot[$v]}" "${tot[none]}")" \
			"$(calc "print (${pmid[$v]} / ${pmid[none]} - 1) * 100")"
	done
	echo "   paired: median over the rounds of (with / without in the same round) - 1; per $unit: the median"
	echo "   over the rounds of each storm's median $unit time, with / without - 1 (both are less"
	echo "   sensitive to other processes' load than the medians of the totals above)"
	S_IMP[$key]=$(calc "print ${mid[imprint]} - ${mid[none]}")
	S_FAP[$key]=$(calc "print ${mid[fapolicyd]} - ${mid[none]}")
	printf '   added per %s: imprint %+.2f us, fapolicyd %+.2f us; imprint / fapolicyd = %.3f\n' "$unit" \
		"$(calc "print ${S_IMP[$key]} / $n")" "$(calc "print ${S_FAP[$key]} / $n")" "$(calc "print ${S_IMP[$key]} / ${S_FAP[$key]}")"
	S_RATIO[$key]=${mid[imprint]}/${mid[none]}
	S_PAIRED[$key]=$(paired "${tot[imprint]}" "${tot[none]}")
	S_P0[$key]=${pmid[none]}
	S_PI[$key]=${pmid[imprint]}
	S_PF[$key]=${pmid[fapolicyd]}
}
# ops_summary KEY LABEL PCT VS_FAP UNIT: the summary lines of ops_table's KEY against its targets
# (imprint adds at most PCT % and less than VS_FAP of fapolicyd's added time).
ops_summary() {
	local key=$1 label=$2 pct=$3 vs=$4 unit=$5
	local ratio=${S_RATIO[$key]} imp=${S_IMP[$key]} fap=${S_FAP[$key]} paired=${S_PAIRED[$key]}
	local p0=${S_P0[$key]} pi=${S_PI[$key]} pf=${S_PF[$key]}
	printf '   %-64s %+9.1f%%  %-10s %s\n' "$label: imprint added (median)" "$(calc "print ($ratio - 1) * 100")" \
		"<= +$pct%" "$(verdict "$ratio <= 1 + $pct / 100")"
	printf '   %-64s %10.3f  %-10s %s\n' "$label: imprint added / fapolicyd added" "$(calc "print $imp / $fap")" \
		"< $vs" "$(verdict "$fap > 0 && $imp < $vs * $fap")"
	printf '   %-64s %+9.1f%%  %-10s %s\n' "($label: imprint added, paired)" "$paired" \
		"(<= +$pct%)" "($(verdict "$paired <= $pct"))"
	printf '   %-64s %+9.1f%%  %-10s %s\n' "($label: imprint added, per $unit)" "$(calc "print ($pi / $p0 - 1) * 100")" \
		"(<= +$pct%)" "($(verdict "$pi / $p0 <= 1 + $pct / 100"))"
	printf '   %-64s %10.3f  %-10s %s\n' "($label: imprint added / fapolicyd added, per $unit)" \
		"$(calc "print ($pi - $p0) / ($pf - $p0)")" "(< $vs)" \
		"($(verdict "$pf > $p0 && $pi - $p0 < $vs * ($pf - $p0)"))"
}

report() {
	local v med min max mfirst mmed first0 hwm_med hwm_max up
	local -A CMED
	echo
	echo "imprint protect benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "imprint: $IMPRINT ($("$IMPRINT" --version 2>/dev/null | head -n 1 || echo '?'))"
	echo "fapolicyd $(dpkg-query -W -f '${Version}' fapolicyd 2>/dev/null || echo '?'), rules ($FAP_RULES):"
	sed 's/^/     /' "$FAP_RULES"
	echo "   trust file: /bin/busybox, /h/storm (path size sha256); watch_fs = overlay, allow_filesystem_mark = 1"
	echo "   trust file in the Debian container: ${DEB_TRUST[*]}"
	echo "podman $(podman version --format '{{.Client.Version}}' 2>/dev/null || echo '?'), store $STORE, images $IMAGE, $DEB_IMAGE"
	echo "host: $(uname -r), $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "load average: $LOAD0 at start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
	echo "other imprint processes at start: ${OTHERS0:-none}; at the end: ${OTHERS1:-none}"

	echo
	echo "== exec storm: fork + execve of /bin/true + wait, $EXECS per run, $RUNS runs each (ms, inside the container)"
	ops_table exec T M "$EXECS" exec 1

	echo
	echo "== connect storm: TCP connect + accept + close to 127.0.0.1:$PORT, $CONNECTS per run, $RUNS x $CONNECT_REPS runs each (ms)"
	printf '   %-34s %9s %9s %9s %11s %9s\n' "" median min max "us per conn" added
	for v in none imprint fapolicyd; do
		read -r med min max <<<"$(stats "${C[$v]}")"
		CMED[$v]=$med
		printf '   %-34s %9.1f %9.1f %9.1f %11.2f %+8.1f%%\n' "$(name "$v")" "$(calc "print $med / 1000")" \
			"$(calc "print $min / 1000")" "$(calc "print $max / 1000")" "$(calc "print $med / $CONNECTS")" \
			"$(calc "print ($med / ${CMED[none]} - 1) * 100")"
	done
	printf '   %-34s %9s\n' "" paired
	for v in imprint fapolicyd; do
		printf '   %-34s %+8.1f%%\n' "$(name "$v")" "$(paired "${C[$v]}" "${C[none]}")"
	done
	echo "   imprint: cgroup/connect4 with the rule 127.0.0.1:$PORT/tcp; fapolicyd does not control"
	echo "   connections (listed for reference: what its running costs a connect)."
	CONNECT_RATIO=${CMED[imprint]}/${CMED[none]}

	echo
	echo "== the first exec of each run (us): the one /bin/true exec imprint decides in user space"
	printf '   %-34s %14s %14s %16s\n' "" "first (median)" "(min)" "others (median)"
	for v in none imprint fapolicyd; do
		read -r mfirst min _ <<<"$(stats "${F[$v]}")"
		read -r mmed _ <<<"$(stats "${M[$v]}")"
		printf '   %-34s %14.0f %14.0f %16.0f\n' "$(name "$v")" "$(calc "print $mfirst / 1000")" \
			"$(calc "print $min / 1000")" "$(calc "print $mmed / 1000")"
		[ "$v" = none ] && first0=$mfirst
		[ "$v" = imprint ] && DECISION_US=$(calc "printf \"%.0f\", ($mfirst - $first0) / 1000")
	done
	read -r up min max <<<"$(stats "${UP[imprint]}")"
	echo "   imprint's user-space decision (first exec under imprint - first exec without, medians):" \
		"$DECISION_US us;"
	echo "   it includes the SHA-256 of /bin/busybox ($BB_SIZE bytes) and the exec_allowed line."
	echo "   fanotify decisions per imprint run (protect's 'fanotify allowed' count): median $up (min $min, max $max):"
	echo "   /h/storm and /bin/busybox once each; every later exec hits the ignore mark and never leaves the kernel."
	read -r up min max <<<"$(stats "${UP[fapolicyd]}")"
	echo "   fapolicyd accesses allowed per run (its state report): median $up (min $min, max $max): two per exec"
	echo "   (the kernel sends FAN_OPEN_EXEC_PERM and FAN_OPEN_PERM as two events), and every open."

	echo
	echo "== dynamic exec storm ($DEB_IMAGE): fork + execve of /bin/true (dynamically linked: the kernel opens"
	echo "   ld.so, ld.so opens and maps libc) + wait, $EXECS per run, $RUNS runs each (ms, inside the container)"
	ops_table dexec DT DM "$EXECS" exec 1
	read -r up min max <<<"$(stats "${UP[dimprint]}")"
	echo "   fanotify decisions per imprint run in this container: median $up (min $min, max $max):"
	echo "   /h/storm, /h/dstorm, /usr/bin/true and ld.so once each (libraries are opened, not executed)."
	read -r up _ <<<"$(stats "${UP[dexec]}")"
	echo "   fapolicyd accesses allowed per dynamic exec storm: median $up, $(calc "printf \"%.1f\", $up / $EXECS") per exec"

	echo
	echo "== mmap storm ($DEB_IMAGE): dlopen + dlclose of $DLOPEN_LIB"
	echo "   (each an open and a PROT_EXEC mmap of the file), $DLOPENS per run, $RUNS runs each (ms, inside the container)"
	ops_table mmap L LM "$DLOPENS" dlopen 2
	echo "   imprint's mapping layer: $MMAP_LAYER"
	read -r up _ <<<"$(stats "${UP[mmap]}")"
	echo "   fapolicyd accesses allowed per mmap storm: median $up, $(calc "printf \"%.1f\", $up / $DLOPENS") per dlopen: it decides"
	echo "   the library's open (FAN_OPEN_PERM, allowed by rule 3), it does not see mappings."
	echo "   a dropped copy of the library (dstorm try-dlopen /tmp/drop/bench-dropped-lib.so): without protection ${DROPLIB[none]},"
	echo "   under imprint ${DROPLIB[imprint]}, under fapolicyd ${DROPLIB[fapolicyd]}"

	echo
	read -r hwm_med _ hwm_max <<<"$(stats "$HWMS")"
	echo "== imprint protect's peak RSS (VmHWM, read before SIGTERM): median $(calc "printf \"%.1f\", $hwm_med / 1024") MiB, max $(calc "printf \"%.1f\", $hwm_max / 1024") MiB"
	read -r med _ max <<<"$(stats "$DHWMS")"
	echo "   in the Debian container (reported, no target): median $(calc "printf \"%.1f\", $med / 1024") MiB, max $(calc "printf \"%.1f\", $max / 1024") MiB"

	echo
	echo "== summary"
	printf '   %-64s %10s  %-10s %s\n' "" measured target ""
	ops_summary exec "exec storm" "$EXEC_PCT" "$EXEC_VS_FAP" exec
	printf '   %-64s %+9.1f%%  %-10s %s\n' "connect storm: imprint added (median)" "$(calc "print ($CONNECT_RATIO - 1) * 100")" \
		"<= +$CONNECT_PCT%" "$(verdict "$CONNECT_RATIO <= 1 + $CONNECT_PCT / 100")"
	printf '   %-64s %+9.1f%%  %-10s %s\n' "(connect storm: imprint added, paired)" "$(paired "${C[imprint]}" "${C[none]}")" \
		"(<= +$CONNECT_PCT%)" "($(verdict "$(paired "${C[imprint]}" "${C[none]}") <= $CONNECT_PCT"))"
	ops_summary dexec "dynamic exec storm" "$DEXEC_PCT" "$DEXEC_VS_FAP" exec
	ops_summary mmap "mmap storm" "$MMAP_PCT" "$MMAP_VS_FAP" dlopen
	printf '   %-64s %10.1f  %-10s %s\n' "VmHWM of imprint protect, MiB (max over runs)" "$(calc "print $hwm_max / 1024")" \
		"< $HWM_MIB" "$(verdict "$hwm_max < $HWM_MIB * 1024")"
	printf '   %-64s %10s  %-10s %s\n' "imprint's user-space decision, us (median, see above)" "$DECISION_US" "-" "(reported)"
	echo "   added: median with / median without - 1; in parentheses the paired and per-operation estimates"
	echo "   (for reference; a negative 'added' is noise: nothing imprint does makes an exec faster)."
	[[ $MMAP_LAYER == "bpf mmap ("* ]] ||
		echo "   mmap storm: imprint's mapping layer is not on ($MMAP_LAYER): the figures are imprint without it."
	echo "   Noisy on a loaded machine: compare within one run."
}

# --- main ----------------------------------------------------------------------------------------------

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
others() { pgrep -a -x imprint | cut -c1-100 | paste -sd';' || true; }
OTHERS0=$(others)
rm -rf "$RUN"
mkdir -p "$RUN"
build_storm
write_rules
checks
checks_debian
bench
OTHERS1=$(others)
report | tee "$WORK/report.txt"
log "report saved to $WORK/report.txt"
