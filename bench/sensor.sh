#!/usr/bin/env bash
# bench/sensor.sh: what imprint's eBPF sensor (docs/sensor.md) costs the containers it watches, and
# what it costs itself. In one run, interleaved, with and without the sensor loaded:
#
#   exec storm   fork + execve of /bin/true, BENCH_EXECS times, inside a busybox container
#   open storm   open + close of existing files, BENCH_OPENS times, inside the same container
#                    without the sensor / with `imprint watch --fingerprints EMPTY` running /
#                    with it running IMPRINT_SENSOR_HOOKS_ONLY=1 (its syscall programs return
#                    at once: what the tracepoints cost by themselves, the open storm's floor;
#                    the exec, fork and exit programs run as usual)
#   flood        BENCH_FLOOD_FILES distinct files opened once each (distinct: the kernel side
#                deduplicates identical events), paced to BENCH_FLOOD_RATE opens/s, while
#                `imprint learn` runs: lostEvents, and the events/s really achieved
#
# then the peak memory (VmHWM) and CPU time of every imprint watch / learn process, and the size of
# the fingerprint `imprint learn` writes for a small Debian workload against RAD's catalog.
#
# The workloads are a static C program (`storm`, compiled here with gcc -static) bind-mounted into
# the container; it measures its own time (CLOCK_MONOTONIC), so podman's start-up is not in it.
#
# Environment:
#   IMPRINT            imprint binary           (default: build/imprint in the repository)
#   BENCH_STORE        podman store holding the images (default: /var/tmp/imprint-test-images/storage;
#                                               only read: containers are started with --rm)
#   BENCH_RUNROOT      its runroot              (default: /var/tmp/imprint-test-images/run)
#   BENCH_IMAGE        image of the storms      (default: localhost/busybox:latest)
#   BENCH_DEBIAN_IMAGE image of the fingerprint-size workload (default: localhost/debian:latest)
#   BENCH_DEBIAN_CMD   that workload, run by /bin/sh -c (default: apt-get --version, dpkg -l,
#                                               ls -R /usr/share/doc, cat /etc/os-release, id, date)
#   BENCH_WORK         scratch space            (default: /var/tmp/imprint-bench; this script uses
#                                               its subdirectory sensor/)
#   BENCH_RUNS         timed runs per storm and variant (default: 5)
#   BENCH_EXECS        execs per exec storm     (default: 20000)
#   BENCH_OPENS        opens per open storm     (default: 1000000)
#   BENCH_OPEN_FILES   the files the open storm cycles over, paths inside the container, no
#                      symlinks (default: /etc/passwd /etc/group /etc/hosts /bin/busybox)
#   BENCH_FLOOD_FILES  distinct files of the flood (default: 200000)
#   BENCH_FLOOD_RATE   opens/s the flood offers; 0: as fast as it can (default: 200000)
#   BENCH_FLOOD_PROCS  processes sharing the flood, each with its own slice (default: nproc)
#   BENCH_FLOOD_RUNS   flood runs per variant   (default: 3)
#   RAD_CATALOG        RAD's fingerprint catalog (default: /work/shared/rad-catalog; its
#                      images/*/fingerprint.json are compared)
#   IMPRINT_SENSOR_HOOKS, IMPRINT_SENSOR_NO_CACHE
#                      passed on to imprint (docs/sensor.md): tp_btf forces the fallback hooks,
#                      1 turns the open caches off; the report names the hooks that were active
#
# Targets (printed next to the results): the sensor adds at most 5% to the exec storm and 3% to the
# open storm (medians); no event lost with 200,000 distinct events/s offered; VmHWM of imprint
# watch and of imprint learn below 32 MiB.
#
# Must run as root (eBPF, podman).
# Exit status: 0 when every command ran and every check passed, whether or not the targets are met;
# 2 when a command failed, a tool is missing, or a check showed that the sensor did not run or did
# not see the workload.
set -euo pipefail
export LC_ALL=C

top=$(cd "$(dirname "$0")/.." && pwd)
IMPRINT=${IMPRINT:-$top/build/imprint}
STORE=${BENCH_STORE:-/var/tmp/imprint-test-images/storage}
RUNROOT=${BENCH_RUNROOT:-/var/tmp/imprint-test-images/run}
IMAGE=${BENCH_IMAGE:-localhost/busybox:latest}
DEBIAN_IMAGE=${BENCH_DEBIAN_IMAGE:-localhost/debian:latest}
DEBIAN_CMD=${BENCH_DEBIAN_CMD:-apt-get --version >/dev/null; dpkg -l >/dev/null; ls -R /usr/share/doc >/dev/null; cat /etc/os-release >/dev/null; id; date}
WORK=${BENCH_WORK:-/var/tmp/imprint-bench}/sensor
RUNS=${BENCH_RUNS:-5}
EXECS=${BENCH_EXECS:-20000}
OPENS=${BENCH_OPENS:-1000000}
read -r -a OPEN_FILES <<<"${BENCH_OPEN_FILES:-/etc/passwd /etc/group /etc/hosts /bin/busybox}"
FLOOD_FILES=${BENCH_FLOOD_FILES:-200000}
FLOOD_RATE=${BENCH_FLOOD_RATE:-200000}
FLOOD_PROCS=${BENCH_FLOOD_PROCS:-$(nproc)}
FLOOD_RUNS=${BENCH_FLOOD_RUNS:-3}
RAD_CATALOG=${RAD_CATALOG:-/work/shared/rad-catalog}

# Targets.
EXEC_PCT=5          # most the sensor may add to the exec storm's median, %
OPEN_PCT=3          # ... to the open storm's median, %
FLOOD_TARGET=200000 # distinct events/s that must be taken without loss
HWM_MIB=32          # VmHWM of imprint watch / learn must stay below this
# `imprint learn` keeps at most this many files per process (ITEMS_MAX in src/sensor/learner.c);
# beyond it, it drops them and marks the fingerprint incomplete without counting them as lost.
LEARN_FILES_MAX=100000

case "${1:-}" in
"") ;;
-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
*) echo "bench: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

log() { echo "bench: $*" >&2; }
die() { echo "bench: error: $*" >&2; exit 2; }

# --- preflight -----------------------------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || die "run as root (eBPF, podman)"
case "$IMPRINT" in /*) ;; *) IMPRINT=$PWD/$IMPRINT ;; esac
[ -x "$IMPRINT" ] || die "imprint binary not found at $IMPRINT (build it with scripts/build.sh, or set IMPRINT=)"
for tool in podman gcc jq awk sort; do
	command -v "$tool" >/dev/null || die "$tool is not installed (see scripts/packages.txt)"
done
for v in RUNS EXECS OPENS FLOOD_FILES FLOOD_PROCS FLOOD_RUNS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "BENCH_$v must be a positive integer, not '${!v}'"
done
[[ $FLOOD_RATE =~ ^[0-9]+$ ]] || die "BENCH_FLOOD_RATE must be a number of opens/s (0: unpaced), not '$FLOOD_RATE'"
[ "${#OPEN_FILES[@]}" -gt 0 ] || die "BENCH_OPEN_FILES is empty"
[ $(((FLOOD_FILES + FLOOD_PROCS - 1) / FLOOD_PROCS)) -le "$LEARN_FILES_MAX" ] ||
	die "BENCH_FLOOD_FILES / BENCH_FLOOD_PROCS must be at most $LEARN_FILES_MAX (imprint learn's files per process): raise BENCH_FLOOD_PROCS"
mapfile -t CATALOG < <(find "$RAD_CATALOG/images" -name fingerprint.json 2>/dev/null | sort)
[ "${#CATALOG[@]}" -gt 0 ] || die "no RAD catalog at $RAD_CATALOG (images/*/fingerprint.json); set RAD_CATALOG="
mkdir -p "$WORK"

# Layout of WORK: storm, storm.c (the workload), hwm.so, hwm.c (the memory probe), fps/ (an empty
# fingerprint directory for imprint watch), run/ (the files of the current command), *.json (the
# learned fingerprints, kept for a look), report.txt.
RUN=$WORK/run
PODMAN=(podman --root "$STORE" --runroot "$RUNROOT" --storage-driver overlay)
# The --ulimit options: podman's default open-files limit is above what the development VM allows.
RUN_OPTS=(run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096)
for img in "$IMAGE" "$DEBIAN_IMAGE"; do
	"${PODMAN[@]}" image exists "$img" || die "$img is not in the podman store $STORE"
done

# --- the workload and the memory probe ---------------------------------------------------------------

build_tools() {
	log "compiling the workload ($WORK/storm, static) and the memory probe ($WORK/hwm.so)"
	cat >"$WORK/storm.c" <<'EOF'
/* storm: the workloads of bench/sensor.sh, run inside a container. Prints one line,
 * "MODE n=N ns=NANOSECONDS", the time measured inside (CLOCK_MONOTONIC); any failure: exit 1.
 *   storm exec N PROG            fork + execve(PROG) + wait, N times (PROG must exit 0)
 *   storm open N FILE...         open + close, N times, cycling over the FILEs
 *   storm flood N RATE P DIR     mknod N empty files DIR/dNNN/fNNNNNNN (not timed, and no open(2)),
 *                                then P processes open + close each file once, RATE opens/s in all
 *                                (0: as fast as they can). Each process is exec'd with its own
 *                                arguments, so it is a node of its own in the learned tree.
 *   storm slice DIR FROM TO RATE one of those processes */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void fail(const char *what, const char *arg)
{
	fprintf(stderr, "storm: %s %s: %s\n", what, arg, strerror(errno));
	exit(1);
}

static void wait_ok(pid_t p, const char *what)
{
	int status;

	if (waitpid(p, &status, 0) != p || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "storm: %s failed (status %d)\n", what, status);
		exit(1);
	}
}

static void flood_path(char *buf, size_t size, const char *dir, long i)
{
	snprintf(buf, size, "%s/d%03ld/f%07ld", dir, i / 1000, i);
}

/* open + close DIR's files FROM..TO-1, never ahead of RATE opens/s */
static void slice(const char *dir, long from, long to, double rate)
{
	long long t0 = now_ns();
	char path[256];

	for (long i = from; i < to; i++) {
		int fd;

		if (rate > 0 && (i - from) % 64 == 0) {
			long long due = t0 + (long long)((i - from) / rate * 1e9), t = now_ns();

			if (due > t) {
				struct timespec d = { (due - t) / 1000000000, (due - t) % 1000000000 };

				nanosleep(&d, NULL);
			}
		}
		flood_path(path, sizeof(path), dir, i);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			fail("open", path);
		close(fd);
	}
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 0;
	long long t0, t1;

	if (argc == 4 && strcmp(argv[1], "exec") == 0 && n > 0) {
		char *args[] = { argv[3], NULL };

		t0 = now_ns();
		for (long i = 0; i < n; i++) {
			pid_t p = fork();

			if (p < 0)
				fail("fork", "");
			if (p == 0) {
				execve(argv[3], args, environ);
				_exit(127);
			}
			wait_ok(p, argv[3]);
		}
		t1 = now_ns();
	} else if (argc >= 4 && strcmp(argv[1], "open") == 0 && n > 0) {
		int k = argc - 3;

		t0 = now_ns();
		for (long i = 0; i < n; i++) {
			int fd = open(argv[3 + i % k], O_RDONLY | O_CLOEXEC);

			if (fd < 0)
				fail("open", argv[3 + i % k]);
			close(fd);
		}
		t1 = now_ns();
	} else if (argc == 6 && strcmp(argv[1], "flood") == 0 && n > 0 && atol(argv[4]) > 0) {
		long procs = atol(argv[4]);
		const char *rate = argv[3], *dir = argv[5];
		char path[256], rate_each[32];
		pid_t pids[256];

		if (procs > 256)
			procs = 256;
		for (long i = 0; i < n; i++) {
			if (i % 1000 == 0) {
				snprintf(path, sizeof(path), "%s/d%03ld", dir, i / 1000);
				if (mkdir(path, 0755) < 0)
					fail("mkdir", path);
			}
			flood_path(path, sizeof(path), dir, i);
			if (mknod(path, S_IFREG | 0644, 0) < 0)
				fail("mknod", path);
		}
		snprintf(rate_each, sizeof(rate_each), "%.3f", atof(rate) / procs);
		t0 = now_ns();
		for (long k = 0; k < procs; k++) {
			char from[32], to[32];
			char *args[] = { argv[0], "slice", (char *)dir, from, to, rate_each, NULL };

			snprintf(from, sizeof(from), "%ld", n * k / procs);
			snprintf(to, sizeof(to), "%ld", n * (k + 1) / procs);
			pids[k] = fork();
			if (pids[k] < 0)
				fail("fork", "");
			if (pids[k] == 0) {
				execve("/proc/self/exe", args, environ);
				_exit(127);
			}
		}
		for (long k = 0; k < procs; k++)
			wait_ok(pids[k], "a flood process");
		t1 = now_ns();
	} else if (argc == 6 && strcmp(argv[1], "slice") == 0) {
		slice(argv[2], atol(argv[3]), atol(argv[4]), atof(argv[5]));
		return 0;
	} else {
		fprintf(stderr, "usage: storm exec N PROG | open N FILE... | flood N RATE PROCS DIR\n");
		return 2;
	}
	printf("%s n=%ld ns=%lld\n", argv[1], n, t1 - t0);
	return 0;
}
EOF
	cat >"$WORK/hwm.c" <<'EOF'
/* hwm.so: loaded into imprint with LD_PRELOAD by bench/sensor.sh. When the process exits, appends
 * "PID VMHWM_KB CPU_MS" (its own peak RSS from /proc/self/status, and its user + system time) to
 * the file $SENSOR_BENCH_STATS. Takes itself out of the environment at start, so the processes
 * imprint starts (podman) neither load it nor count. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static char out[4096];

__attribute__((constructor)) static void hwm_init(void)
{
	const char *p = getenv("SENSOR_BENCH_STATS");

	if (p)
		snprintf(out, sizeof(out), "%s", p);
	unsetenv("SENSOR_BENCH_STATS");
	unsetenv("LD_PRELOAD");
}

__attribute__((destructor)) static void hwm_fini(void)
{
	FILE *s, *o;
	char line[256];
	long hwm = -1;
	struct rusage ru;

	if (!out[0] || !(s = fopen("/proc/self/status", "r")))
		return;
	while (fgets(line, sizeof(line), s))
		if (strncmp(line, "VmHWM:", 6) == 0)
			hwm = atol(line + 6);
	fclose(s);
	getrusage(RUSAGE_SELF, &ru);
	if ((o = fopen(out, "a"))) {
		fprintf(o, "%d %ld %ld\n", (int)getpid(), hwm,
			(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
				(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000);
		fclose(o);
	}
}
EOF
	gcc -static -O2 -Wall -Wextra -Werror -o "$WORK/storm" "$WORK/storm.c" || die "cannot compile storm.c statically (libc6-dev?)"
	gcc -shared -fPIC -O2 -Wall -Wextra -Werror -o "$WORK/hwm.so" "$WORK/hwm.c" || die "cannot compile hwm.c"
}

# --- running things ----------------------------------------------------------------------------------

# storm_run ARGS...: run `storm ARGS` in a fresh container of IMAGE; the container id goes to
# RUN/cid, its output line to RUN/out; WALL is podman's wall time in us. Dies if it fails.
storm_run() {
	local t0 t1
	rm -f "$RUN/cid"
	t0=${EPOCHREALTIME/./}
	"${PODMAN[@]}" "${RUN_OPTS[@]}" --cidfile "$RUN/cid" -v "$WORK/storm:/storm:ro" --tmpfs /flood \
		--entrypoint /storm "$IMAGE" "$@" </dev/null >"$RUN/out" 2>"$RUN/err" ||
		{ tail -n 20 "$RUN/err" >&2; die "storm $* in $IMAGE failed"; }
	t1=${EPOCHREALTIME/./}
	WALL=$((t1 - t0))
}
# storm_ns MODE N: the storm's own time in ns, from its line in RUN/out (under imprint learn,
# learn's summary is there too), which must say MODE n=N.
storm_ns() {
	local line
	line=$(grep -E "^[a-z]+ n=[0-9]+ ns=" "$RUN/out" || true)
	[[ $line =~ ^$1\ n=$2\ ns=([0-9]+)$ ]] || die "storm $1 printed '$line', not '$1 n=$2 ns=...'"
	echo "${BASH_REMATCH[1]}"
}

# The imprint process in the background (imprint watch), or 0.
WATCH_PID=0
cleanup() {
	if [ "$WATCH_PID" -ne 0 ]; then kill -TERM "$WATCH_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT

# start_watch: `imprint watch --fingerprints EMPTY` in the background, its sensor loaded.
start_watch() {
	local i
	: >"$RUN/stats"
	SENSOR_BENCH_STATS=$RUN/stats LD_PRELOAD=$WORK/hwm.so \
		"$IMPRINT" watch -v --fingerprints "$WORK/fps" --storage-root "$STORE" \
		>"$RUN/watch.out" 2>"$RUN/watch.err" &
	WATCH_PID=$!
	for ((i = 0; i < 600; i++)); do
		# the whole line, not a part still being written (the last byte is its newline)
		if grep -q 'sensor active' "$RUN/watch.err" && [ -z "$(tail -c 1 "$RUN/watch.err")" ]; then
			HOOKS=$(sed -n 's/.*sensor active: //p' "$RUN/watch.err" | head -n 1)
			return 0
		fi
		kill -0 "$WATCH_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$RUN/watch.err" >&2
	die "imprint watch did not load its sensor"
}
# stop_watch: stop it (SIGTERM: it exits 0), check that it saw the container of RUN/cid (its
# "Container without behavioral fingerprint" line), and set HWM (kB) and CPU (ms) from the probe.
stop_watch() {
	local cid rc=0
	kill -TERM "$WATCH_PID"
	wait "$WATCH_PID" || rc=$?
	WATCH_PID=0
	[ "$rc" -eq 0 ] || { cat "$RUN/watch.err" >&2; die "imprint watch exited with $rc"; }
	cid=$(cat "$RUN/cid")
	# A miss is a finding about imprint watch, not a reason to throw the timing away (the
	# sensor was loaded and attached): it is listed in the report's warnings.
	jq -e -n --arg id "$cid" 'any(inputs; .rule == "Container without behavioral fingerprint"
		and .output_fields["container.id"] == $id)' "$RUN/watch.out" >/dev/null || {
		WARNINGS+=("imprint watch did not report container ${cid:0:12} ($(wc -l <"$RUN/watch.out") alert lines)")
		log "  WARNING: ${WARNINGS[-1]}"
	}
	probe_stats
}
# probe_stats: HWM and CPU from the probe's one line in RUN/stats.
probe_stats() {
	local pid
	[ "$(wc -l <"$RUN/stats")" -eq 1 ] || die "the memory probe wrote $(wc -l <"$RUN/stats") lines, not 1 (did imprint exit normally?)"
	read -r pid HWM CPU <"$RUN/stats"
	[ "$HWM" -gt 0 ] || die "the memory probe found no VmHWM for imprint (pid $pid)"
}

# `imprint learn --image REF -- COMMAND` learns every container that runs while COMMAND runs, all
# under REF's name and digest, and unites their trees: a container someone else starts meanwhile
# (on a shared machine) ends up in the fingerprint, or makes learn fail ("cannot canonicalize"
# when its entrypoint runs as another uid). So each learn is checked to hold only our container:
# one container whose entrypoint ran exactly one program, ours (any other container's entrypoint
# would be united with it). One that fails, or holds more, is repeated after a pause, up to
# LEARN_TRIES times in all; each repetition is listed in the report's warnings. Only the flood
# accepts a fingerprint with other containers in it (FOREIGN_OK=1; what it measures is the flood's
# files, which are ours, and lostEvents, which then counts theirs too): with a warning.
LEARN_TRIES=5
LEARN_PAUSE=10 # seconds between tries
FOREIGN_OK=0
WARNINGS=()

# learn OUT IMAGE COMM ARG0 ARG1 PODMAN-RUN-ARGS...: `imprint learn` of `podman run ...
# PODMAN-RUN-ARGS` into OUT, whose entrypoint must run COMM with argv starting ARG0 ARG1; HWM and
# CPU from the probe. The command's output goes to RUN/out.
learn() {
	local out=$1 img=$2 comm=$3 arg0=$4 arg1=$5 try rc why
	shift 5
	for ((try = 1; ; try++)); do
		: >"$RUN/stats"
		rm -f "$RUN/cid" "$out"
		rc=0
		SENSOR_BENCH_STATS=$RUN/stats LD_PRELOAD=$WORK/hwm.so \
			"$IMPRINT" learn --image "$img" --storage-root "$STORE" -o "$out" -- \
			"${PODMAN[@]}" "${RUN_OPTS[@]}" --cidfile "$RUN/cid" "$@" </dev/null >"$RUN/out" 2>"$RUN/err" || rc=$?
		if [ "$rc" -ne 0 ]; then
			why="imprint learn exited with $rc: $(grep -v '^imprint: learn: .* events lost' "$RUN/err" | tail -n 1)"
		elif [ ! -s "$out" ]; then
			why="imprint learn wrote no fingerprint"
		elif ! jq -e --arg c "$comm" --arg a0 "$arg0" --arg a1 "$arg1" '(.containers | length) == 1 and
			([.containers[0].entrypoint.process.programs[] | [.comm, .args[0], .args[1]]] == [[$c, $a0, $a1]])' \
			"$out" >/dev/null; then
			why="the fingerprint holds more than our container (entrypoint programs:"
			why+=" $(jq -c '[.containers[].entrypoint.process.programs[] | .args[0:2]]' "$out" | cut -c1-200))"
			if [ "$FOREIGN_OK" -eq 1 ]; then
				WARNINGS+=("learn of $img ($comm $arg1 ...), try $try: accepted, but $why")
				log "  WARNING: ${WARNINGS[-1]}"
				break
			fi
		else
			break
		fi
		WARNINGS+=("learn of $img ($comm $arg1 ...), try $try of $LEARN_TRIES: $why")
		log "  WARNING: ${WARNINGS[-1]}"
		[ "$try" -lt "$LEARN_TRIES" ] || { tail -n 20 "$RUN/err" >&2; die "imprint learn of $img ($*) failed $LEARN_TRIES times"; }
		sleep "$LEARN_PAUSE"
	done
	probe_stats
}
# learn_storm OUT ARGS...: learn `storm ARGS` in a container of IMAGE.
learn_storm() {
	local out=$1
	shift
	learn "$out" "$IMAGE" storm /storm "$1" \
		-v "$WORK/storm:/storm:ro" --tmpfs /flood --entrypoint /storm "$IMAGE" "$@"
}

# --- results -----------------------------------------------------------------------------------------

declare -A T W     # key "STORM|VARIANT": the storm's own times / podman's wall times, us, space-separated
declare -A HWMS CPUS # key: what imprint ran for; values kB / ms, space-separated
declare -A FLOOD   # key "VARIANT": "RATE RECORDED LOST COMPLETE" per run, ";"-separated
record_probe() { HWMS[$1]+="$HWM " CPUS[$1]+="$CPU "; }

# --- checks: the sensor sees the storms ----------------------------------------------------------------

checks() {
	local n f
	log "check: imprint learn of the exec storm ($EXECS x /bin/true) records /bin/true with count >= $EXECS"
	learn_storm "$WORK/exec.json" exec "$EXECS" /bin/true
	storm_ns exec "$EXECS" >/dev/null
	record_probe "learn, exec storm"
	n=$(jq '[.. | objects | select(any(.programs[]?; .comm == "true" and .args == ["/bin/true"])) | .count // 1] | add // 0' "$WORK/exec.json")
	[ "$n" -ge "$EXECS" ] || die "check failed: $WORK/exec.json counts /bin/true $n times, not >= $EXECS"
	log "  ok: /bin/true counted $n times"

	log "check: imprint learn of the open storm ($OPENS opens) records ${OPEN_FILES[*]}"
	learn_storm "$WORK/open.json" open "$OPENS" "${OPEN_FILES[@]}"
	storm_ns open "$OPENS" >/dev/null
	record_probe "learn, open storm"
	for f in "${OPEN_FILES[@]}"; do
		jq -e --arg p "$f" 'any(.. | objects | .files[]?; .path == $p)' "$WORK/open.json" >/dev/null ||
			die "check failed: $WORK/open.json does not list $f (a symlink is recorded as its target: name the target in BENCH_OPEN_FILES)"
	done
	log "  ok: every file listed"
}

# --- timing: the storms ----------------------------------------------------------------------------------

# timed STORM VARIANT: one run of STORM (exec, open) without the sensor (VARIANT none), with
# imprint watch (VARIANT watch), or with imprint watch whose syscall programs return at once
# (VARIANT hooks, IMPRINT_SENSOR_HOOKS_ONLY=1: what attaching to the same tracepoints costs by
# itself, the floor of any sensor built on them).
timed() {
	local storm=$1 v=$2 n
	local -a args
	case $storm in
	exec) n=$EXECS args=(exec "$EXECS" /bin/true) ;;
	open) n=$OPENS args=(open "$OPENS" "${OPEN_FILES[@]}") ;;
	esac
	case $v in
	watch) start_watch ;;
	hooks) IMPRINT_SENSOR_HOOKS_ONLY=1 start_watch ;;
	esac
	storm_run "${args[@]}"
	case $v in
	watch) stop_watch; record_probe "watch, $storm storm" ;;
	hooks) stop_watch ;;
	esac
	T[$storm|$v]+="$(($(storm_ns "$storm" "$n") / 1000)) "
	W[$storm|$v]+="$WALL "
}

bench() {
	local r storm i
	log "timing: $RUNS rounds of both storms, without the sensor, with imprint watch and with its hooks only, the order rotating"
	local -a order=(none watch hooks)
	for ((r = 1; r <= RUNS; r++)); do
		for storm in exec open; do
			for i in 0 1 2; do timed "$storm" "${order[(r + i) % 3]}"; done
		done
		log "  round $r/$RUNS done"
	done
}

# --- the flood ---------------------------------------------------------------------------------------------

# flood_once VARIANT: one flood, without the sensor (none) or under imprint learn (learn); adds
# "RATE RECORDED LOST COMPLETE" to FLOOD[VARIANT] (RECORDED, LOST, COMPLETE: "-" without the sensor).
flood_once() {
	local v=$1 ns rate rec lost complete
	local -a args=(flood "$FLOOD_FILES" "$FLOOD_RATE" "$FLOOD_PROCS" /flood)
	if [ "$v" = none ]; then
		storm_run "${args[@]}"
		rec=- lost=- complete=-
	else
		FOREIGN_OK=1
		learn_storm "$WORK/flood.json" "${args[@]}"
		FOREIGN_OK=0
		record_probe "learn, flood"
		rec=$(jq '[.. | objects | .files[]? | select(.path | startswith("/flood/"))] | length' "$WORK/flood.json")
		lost=$(jq '.imprint.lostEvents // 0' "$WORK/flood.json")
		complete=$(jq '.imprint.complete // true' "$WORK/flood.json")
		# The sensor ran and saw the flood (a little of it at least); nothing beyond the flood's files.
		[ "$rec" -gt 0 ] || die "check failed: imprint learn recorded none of the flood's files ($WORK/flood.json)"
		[ "$rec" -le "$FLOOD_FILES" ] || die "check failed: $rec flood files recorded, more than the $FLOOD_FILES opened"
		if [ "$complete" = true ] && [ "$rec" -lt "$FLOOD_FILES" ]; then
			WARNINGS+=("flood: $((FLOOD_FILES - rec)) files missing from a fingerprint that says it is complete")
			log "  WARNING: ${WARNINGS[-1]}"
		fi
	fi
	ns=$(storm_ns flood "$FLOOD_FILES")
	rate=$(awk -v n="$FLOOD_FILES" -v ns="$ns" 'BEGIN { printf "%.0f", n / ns * 1e9 }')
	FLOOD[$v]+="$rate $rec $lost $complete;"
}

flood() {
	local r
	log "flood: $FLOOD_RUNS x $FLOOD_FILES distinct files opened by $FLOOD_PROCS processes at $FLOOD_RATE/s offered, without the sensor and under imprint learn"
	for ((r = 1; r <= FLOOD_RUNS; r++)); do
		if ((r % 2)); then flood_once none; flood_once learn; else flood_once learn; flood_once none; fi
		log "  flood $r/$FLOOD_RUNS done"
	done
}

# --- the fingerprint of a Debian workload ------------------------------------------------------------------

# jq: every node with "count": N written N times, as a sensor that does not fold would.
# shellcheck disable=SC2016 # jq's variables, not the shell's
UNFOLD='def unfold: if .children then .children |= [.[] | unfold | . as $c | range(.count // 1) | $c | del(.count)] else . end;
	.containers[] |= ((.entrypoint.process |= unfold) | if .exec then .exec.process |= unfold else . end)'

debian() {
	log "fingerprint size: imprint learn of $DEBIAN_IMAGE running sh -c '$DEBIAN_CMD'"
	learn "$WORK/debian.json" "$DEBIAN_IMAGE" sh /bin/sh -c --entrypoint /bin/sh "$DEBIAN_IMAGE" -c "$DEBIAN_CMD"
	record_probe "learn, debian workload"
	jq -e --arg d "sha256:$("${PODMAN[@]}" image inspect --format '{{.Id}}' "$DEBIAN_IMAGE")" \
		'.containers | length == 1 and .[0].imageDigest == $d' "$WORK/debian.json" >/dev/null ||
		die "check failed: $WORK/debian.json is not one container of $DEBIAN_IMAGE's image ID"
	DEB_NODES=$(jq '[.. | objects | select(.programs)] | length' "$WORK/debian.json")
	[ "$DEB_NODES" -ge 2 ] || die "check failed: $WORK/debian.json has $DEB_NODES process nodes, expected the shell and its commands"
	DEB_COMPLETE=$(jq '.imprint.complete // true' "$WORK/debian.json")
	DEB_SIZE=$(wc -c <"$WORK/debian.json")
	DEB_JQ=$(jq --indent 2 . "$WORK/debian.json" | wc -c)
	DEB_UNFOLDED=$(jq --indent 2 "$UNFOLD" "$WORK/debian.json" | wc -c)
}

# --- report --------------------------------------------------------------------------------------------------

# stats "V V ...": "MEDIAN MIN MAX" of the values.
stats() {
	tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		print m, v[1], v[NR] }'
}
calc() { awk "BEGIN { $1 }"; }
mib() { calc "printf \"%.1f\", $1 / 1024"; }
verdict() { if calc "exit !($1)"; then echo PASS; else echo FAIL; fi; }

declare -A MED
storm_table() {
	local storm=$1 n=$2 what=$3 v med min max wmed
	echo
	echo "== $storm storm: $what, $n per run, $RUNS runs each (ms, measured inside the container)"
	printf '   %-24s %9s %9s %9s %10s %12s\n' "" median min max "us per op" "podman ms"
	for v in none watch hooks; do
		read -r med min max <<<"$(stats "${T[$storm|$v]}")"
		read -r wmed _ <<<"$(stats "${W[$storm|$v]}")"
		MED[$storm|$v]=$med
		printf '   %-24s %9.1f %9.1f %9.1f %10.2f %12.1f\n' \
			"$(case $v in none) echo "without the sensor" ;; watch) echo "with imprint watch" ;;
				hooks) echo "hooks only (floor)" ;; esac)" \
			"$(calc "print $med / 1000")" "$(calc "print $min / 1000")" "$(calc "print $max / 1000")" \
			"$(calc "print $med / $n")" "$(calc "print $wmed / 1000")"
	done
	printf '   added: %+.1f%% (median with / without - 1); the hooks alone: %+.1f%%\n' \
		"$(calc "print (${MED[$storm|watch]} / ${MED[$storm|none]} - 1) * 100")" \
		"$(calc "print (${MED[$storm|hooks]} / ${MED[$storm|none]} - 1) * 100")"
}

report() {
	local k med min max rate rec lost complete cat_min cat_med cat_max deb_min deb_med deb_max
	local flood_rate flood_lost flood_rec hwm_watch hwm_learn
	echo
	echo "imprint sensor benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "imprint: $IMPRINT ($("$IMPRINT" --version 2>/dev/null | head -n 1 || echo '?'))"
	echo "podman $(podman version --format '{{.Client.Version}}' 2>/dev/null || echo '?'), store $STORE, image $IMAGE"
	echo "host: $(uname -r), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 2^20 }' /proc/meminfo) RAM," \
		"$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "load average: $LOAD0 at start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
	echo "other imprint processes at start: ${OTHERS0:-none}; at the end: ${OTHERS1:-none}"
	echo "sensor (imprint watch -v): ${HOOKS:-?}"

	storm_table exec "$EXECS" "fork + execve of /bin/true + wait"
	storm_table open "$OPENS" "open + close of ${OPEN_FILES[*]}"

	echo
	echo "== flood: $FLOOD_FILES distinct files (tmpfs), each opened once by $FLOOD_PROCS processes," \
		"$([ "$FLOOD_RATE" -gt 0 ] && echo "paced to $FLOOD_RATE opens/s in all" || echo "unpaced")"
	printf '   %-22s %12s %10s %11s %9s\n' run "opens/s" recorded lostEvents complete
	for k in none learn; do
		local i=0
		while IFS=' ' read -r rate rec lost complete; do
			[ -n "$rate" ] || continue
			i=$((i + 1))
			printf '   %-22s %12s %10s %11s %9s\n' \
				"$([ "$k" = none ] && echo "without the sensor" || echo "imprint learn") $i" "$rate" "$rec" "$lost" "$complete"
		done < <(tr ';' '\n' <<<"${FLOOD[$k]}")
	done
	echo "   opens/s: the events offered, as achieved (files / the flood's own time); recorded: files of the"
	echo "   flood in the fingerprint; lostEvents: the fingerprint's count (ring buffer full)."

	echo
	echo "== imprint's own cost: VmHWM (peak RSS, MiB) and CPU time (user + system, s) per process"
	printf '   %-26s %5s %8s %8s %8s %9s\n' "" runs "VmHWM" "(min)" "(max)" "CPU s"
	for k in "watch, exec storm" "watch, open storm" "learn, exec storm" "learn, open storm" "learn, flood" "learn, debian workload"; do
		read -r med min max <<<"$(stats "${HWMS[$k]}")"
		printf '   %-26s %5d %8s %8s %8s %9s\n' "$k" "$(wc -w <<<"${HWMS[$k]}")" "$(mib "$med")" "$(mib "$min")" \
			"$(mib "$max")" "$(calc "printf \"%.2f\", $(stats "${CPUS[$k]}" | cut -d' ' -f1) / 1000")"
	done
	echo "   VmHWM: median (min, max) over the runs; CPU: median."

	read -r cat_med cat_min cat_max <<<"$(for f in "${CATALOG[@]}"; do wc -c <"$f"; done | tr '\n' ' ' | { read -r l; stats "$l"; })"
	mapfile -t DEB_CATALOG < <(for f in "${CATALOG[@]}"; do
		if jq -e 'any(.RepoTags[]?; test("debian"))' "$(dirname "$f")/metadata.json" >/dev/null 2>&1; then echo "$f"; fi
	done)
	echo
	echo "== fingerprint size: $DEBIAN_IMAGE running sh -c '$DEBIAN_CMD'"
	echo "   ours: $DEB_SIZE bytes, $DEB_NODES process nodes, complete: $DEB_COMPLETE; through jq --indent 2:" \
		"$DEB_JQ bytes folded, $DEB_UNFOLDED unfolded (ratio $(calc "printf \"%.2f\", $DEB_UNFOLDED / $DEB_JQ"))"
	printf '   %-40s %5s %9s %9s %9s %12s %12s\n' "RAD catalog ($RAD_CATALOG)" files min median max "ours/min" "ours/median"
	printf '   %-40s %5d %9d %9.0f %9d %12.2f %12.2f\n' "images/*/fingerprint.json" "${#CATALOG[@]}" "$cat_min" "$cat_med" \
		"$cat_max" "$(calc "print $DEB_SIZE / $cat_min")" "$(calc "print $DEB_SIZE / $cat_med")"
	if [ "${#DEB_CATALOG[@]}" -gt 0 ]; then
		read -r deb_med deb_min deb_max <<<"$(for f in "${DEB_CATALOG[@]}"; do wc -c <"$f"; done | tr '\n' ' ' | { read -r l; stats "$l"; })"
		printf '   %-40s %5d %9d %9.0f %9d %12.2f %12.2f\n' "  of them Debian-based (tag says debian)" "${#DEB_CATALOG[@]}" \
			"$deb_min" "$deb_med" "$deb_max" "$(calc "print $DEB_SIZE / $deb_min")" "$(calc "print $DEB_SIZE / $deb_med")"
	fi
	echo "   RAD's entries are whole applications (postgresql, mongodb, ...) recorded in production; ours"
	echo "   is a few commands: the sizes say how large files get, they do not compare like with like."

	# summary
	flood_rate=$(tr ';' '\n' <<<"${FLOOD[learn]}" | awk 'NF { print $1 }' | tr '\n' ' ')
	read -r flood_rate _ <<<"$(stats "$flood_rate")"
	flood_lost=$(tr ';' '\n' <<<"${FLOOD[learn]}" | awk 'NF { if ($3 > m) m = $3 } END { print m + 0 }')
	flood_rec=$(tr ';' '\n' <<<"${FLOOD[learn]}" | awk -v n="$FLOOD_FILES" 'NF { if (n - $2 > m) m = n - $2 } END { print m + 0 }')
	hwm_watch=$(tr ' ' '\n' <<<"${HWMS[watch, exec storm]} ${HWMS[watch, open storm]}" | sort -n | tail -n 1)
	hwm_learn=$(tr ' ' '\n' <<<"${HWMS[learn, exec storm]} ${HWMS[learn, open storm]} ${HWMS[learn, debian workload]}" | sort -n | tail -n 1)
	echo
	echo "== summary"
	printf '   %-44s %12s %12s %8s  %-14s %s\n' "" without with ratio target ""
	for k in exec open; do
		printf '   %-44s %12.1f %12.1f %8.3f  %-14s %s\n' "$k storm, median ms" "$(calc "print ${MED[$k|none]} / 1000")" \
			"$(calc "print ${MED[$k|watch]} / 1000")" "$(calc "print ${MED[$k|watch]} / ${MED[$k|none]}")" \
			"<= $(calc "printf \"%.2f\", 1 + $([ $k = exec ] && echo "$EXEC_PCT" || echo "$OPEN_PCT") / 100")" \
			"$(verdict "${MED[$k|watch]} / ${MED[$k|none]} <= 1 + $([ $k = exec ] && echo "$EXEC_PCT" || echo "$OPEN_PCT") / 100")"
	done
	# the floor of the open storm: its syscall programs return at once (the exec storm's
	# process programs run in both variants, so it has no such floor)
	printf '   %-44s %12.1f %12.1f %8.3f  %-14s %s\n' "(open storm, the hooks alone: the floor)" \
		"$(calc "print ${MED[open|none]} / 1000")" "$(calc "print ${MED[open|hooks]} / 1000")" \
		"$(calc "print ${MED[open|hooks]} / ${MED[open|none]}")" "-" ""
	read -r med _ <<<"$(stats "$(tr ';' '\n' <<<"${FLOOD[none]}" | awk 'NF { print $1 }' | tr '\n' ' ')")"
	printf '   %-44s %12.0f %12.0f %8.3f  %-14s %s\n' "flood, distinct events/s achieved (median)" "$med" "$flood_rate" \
		"$(calc "print $flood_rate / $med")" ">= $FLOOD_TARGET" "$(verdict "$flood_rate >= $FLOOD_TARGET")"
	printf '   %-44s %12s %12d %8s  %-14s %s\n' "flood, lostEvents (max over runs)" "" "$flood_lost" "" "0" "$(verdict "$flood_lost == 0")"
	printf '   %-44s %12s %12d %8s  %-14s %s\n' "flood, files not in the fingerprint (max)" "" "$flood_rec" "" "0" "$(verdict "$flood_rec == 0")"
	printf '   %-44s %12s %12s %8s  %-14s %s\n' "VmHWM of imprint watch, MiB (max)" "" "$(mib "$hwm_watch")" "" "< $HWM_MIB" "$(verdict "$hwm_watch < $HWM_MIB * 1024")"
	printf '   %-44s %12s %12s %8s  %-14s %s\n' "VmHWM of imprint learn, storms + debian (max)" "" "$(mib "$hwm_learn")" "" "< $HWM_MIB" "$(verdict "$hwm_learn < $HWM_MIB * 1024")"
	read -r _ _ max <<<"$(stats "${HWMS[learn, flood]}")"
	printf '   %-44s %12s %12s %8s  %-14s %s\n' "VmHWM of imprint learn, flood (max)" "" "$(mib "$max")" "" "(< $HWM_MIB)" "($(verdict "$max < $HWM_MIB * 1024"); it holds $FLOOD_FILES paths)"
	printf '   %-44s %12s %12d %8.2f  %-14s %s\n' "fingerprint bytes, RAD median | ours" "$cat_med" "$DEB_SIZE" "$(calc "print $DEB_SIZE / $cat_med")" "-" ""
	echo "   ratio: with / without (storms, flood rate); ours / RAD's median (fingerprint, no target)."
	if [ "$FLOOD_RATE" -gt 0 ] && [ "$FLOOD_RATE" -lt "$FLOOD_TARGET" ]; then
		echo "   NOTE: BENCH_FLOOD_RATE=$FLOOD_RATE offers less than the target's $FLOOD_TARGET events/s."
	fi
	echo
	echo "== warnings: ${#WARNINGS[@]}"
	for k in "${WARNINGS[@]}"; do echo "   $k"; done
}

# --- main ----------------------------------------------------------------------------------------------------

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
# Another sensor (someone's imprint watch or learn) would slow the runs without ours too: say so.
other_sensors() { pgrep -a -x imprint | grep -E ' (watch|learn)( |$)' | cut -c1-120 | paste -sd';' || true; }
OTHERS0=$(other_sensors)
rm -rf "$RUN" "$WORK/fps"
mkdir -p "$RUN" "$WORK/fps"
build_tools
checks
bench
flood
debian
OTHERS1=$(other_sensors)
report | tee "$WORK/report.txt"
log "report saved to $WORK/report.txt"
