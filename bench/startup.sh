#!/usr/bin/env bash
# bench/startup.sh: what imprint's verification adds to a container's start-up, with imprintd's
# verified-layer cache (the default) and without it (--paranoid: every layer re-hashed at every
# start), on every engine imprint plugs into. The same images are started every way in one run,
# the runs interleaved, and the overhead and ratio against the same engine without imprint printed:
#
#   podman run --rm --network none ... --entrypoint /bin/true IMAGE
#       without a hook / with `imprint hook --socket SOCK` (asks imprintd) / `imprint hook --paranoid`
#   runc run -b BUNDLE ID
#       runc / imprint-runc with IMPRINT_SOCKET=SOCK / imprint-runc with IMPRINT_PARANOID=1
#   docker run --rm --network none --entrypoint /bin/true IMAGE     (a private dockerd 20.10)
#       runc / --runtime imprint (imprint-runc, asks imprintd) / --runtime imprint-paranoid
#   ctr run --rm IMAGE ID /bin/true                                  (a private containerd 1.6)
#       runc / --runc-binary imprint-runc (asks imprintd) / --runc-binary a paranoid imprint-runc
#
# then imprintd's cache hit ratio over the timed starts, its memory (VmRSS, VmHWM), the first
# start of each image on each engine through a fresh imprintd (empty cache: what the first start
# after a pull costs) against `imprint fingerprint` of the same stored image, and (podman) one
# `imprint hook` on a created container of an image imprintd has never seen: through a fresh
# imprintd after dropping the page cache (cold), through a fresh imprintd with the page cache warm
# (cache miss), through that imprintd again (cache hit), and with --paranoid (page cache dropped,
# and warm).
#
# Environment:
#   IMPRINT          imprint binary            (default: build/imprint in the repository)
#   IMAGES           images from tests/lib/mkimages.sh: OCI layouts and NAME.docker.tar
#                                              (default: /var/tmp/imprint-test-images)
#   BENCH_IMAGES     the images to start       (default: "busybox debian")
#   BENCH_ENGINES    the engines to measure    (default: "podman runc docker containerd")
#   BENCH_WORK       scratch space; the private podman store is kept here between runs
#                                              (default: /var/tmp/imprint-bench; this script uses
#                                              its subdirectory startup/)
#   BENCH_RUNS       timed runs per command and image (default: 30)
#   BENCH_FIRST_RUNS repetitions of the first-start measurements (default: 5)
#   BENCH_TARGET_PCT most a start through imprintd may add to the engine's own median, in %
#                                              (default: 5)
#   BENCH_COLD_IMAGE the never-seen image      (default: debian; one of BENCH_IMAGES; podman)
#   BENCH_COLD_RUNS  repetitions of the never-seen measurements (default: 5; podman)
#
# Targets (issue 10; printed next to the results, they do not change the exit status): warm, a
# start through imprintd adds at most BENCH_TARGET_PCT % to the median of the same engine with
# plain runc (podman, Docker, containerd; for `imprint-runc run` of a bare bundle for reference);
# imprintd's cache hit ratio over the timed starts is at least 99%; the first start of an image
# through a fresh imprintd adds no more than `imprint fingerprint` of that stored image takes.
#
# Must run as root (engines with private stores, umoci unpack, fanotify, drop_caches).
# Exit status: 0 when every command ran and every check passed, whether or not the targets are met;
# 2 when a command failed, a tool is missing, or a check showed that imprint did not verify (or
# did not refuse), or that imprintd was not used when it should have been, or was when it should not.
set -euo pipefail
export LC_ALL=C

top=$(cd "$(dirname "$0")/.." && pwd)
IMPRINT=${IMPRINT:-$top/build/imprint}
IMAGES=${IMAGES:-/var/tmp/imprint-test-images}
BENCH_IMAGES=${BENCH_IMAGES:-busybox debian}
BENCH_ENGINES=${BENCH_ENGINES:-podman runc docker containerd}
WORK=${BENCH_WORK:-/var/tmp/imprint-bench}/startup
RUNS=${BENCH_RUNS:-30}
FIRST_RUNS=${BENCH_FIRST_RUNS:-5}
TARGET_PCT=${BENCH_TARGET_PCT:-5}
HIT_TARGET=99 # % of imprintd's lookups during the timed starts that must be cache hits
COLD_IMG=${BENCH_COLD_IMAGE:-debian}
COLD_RUNS=${BENCH_COLD_RUNS:-5}
DOCKERD=/usr/sbin/dockerd
DOCKER_CLI=/usr/bin/docker # never /usr/local/bin/docker: another, newer client
DAEMON_PATH=/usr/sbin:/usr/bin:/sbin:/bin

case "${1:-}" in
"") ;;
-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
*) echo "bench: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

log() { echo "bench: $*" >&2; }
die() { echo "bench: error: $*" >&2; exit 2; }

# --- preflight -----------------------------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || die "run as root (engines with a private store, umoci unpack, fanotify)"
case "$IMPRINT" in /*) ;; *) IMPRINT=$PWD/$IMPRINT ;; esac
[ -x "$IMPRINT" ] || die "imprint binary not found at $IMPRINT (build it with scripts/build.sh, or set IMPRINT=)"
read -r -a ENGS <<<"$BENCH_ENGINES"
[ "${#ENGS[@]}" -gt 0 ] || die "BENCH_ENGINES is empty"
declare -A SEEN=()
for e in "${ENGS[@]}"; do
	case $e in podman | runc | docker | containerd) ;; *) die "BENCH_ENGINES: unknown engine '$e' (podman runc docker containerd)" ;; esac
	[ -z "${SEEN[$e]:-}" ] || die "BENCH_ENGINES: '$e' twice"
	SEEN[$e]=1
done
has() { [ -n "${SEEN[$1]:-}" ]; }
for tool in runc umoci jq awk find du od dd findmnt sha256sum; do
	command -v "$tool" >/dev/null || die "$tool is not installed (see scripts/packages.txt)"
done
! has podman || command -v podman >/dev/null || die "podman is not installed (see scripts/packages.txt)"
if has docker; then
	if [ ! -x "$DOCKERD" ] || [ ! -x "$DOCKER_CLI" ]; then die "docker.io is not installed ($DOCKERD, $DOCKER_CLI)"; fi
	# dockerd 20.10 uses a containerd it finds there instead of starting its own
	[ ! -S /run/containerd/containerd.sock ] ||
		die "/run/containerd/containerd.sock exists: dockerd would use that containerd, not a private one"
fi
if has containerd; then
	for tool in containerd ctr containerd-shim-runc-v2; do
		command -v "$tool" >/dev/null || die "$tool is not installed (containerd)"
	done
fi
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, not '$RUNS'"
[[ $FIRST_RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_FIRST_RUNS must be a positive integer, not '$FIRST_RUNS'"
[[ $COLD_RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_COLD_RUNS must be a positive integer, not '$COLD_RUNS'"
[[ $TARGET_PCT =~ ^[0-9]+$ ]] || die "BENCH_TARGET_PCT must be a whole number, not '$TARGET_PCT'"
read -r -a IMGS <<<"$BENCH_IMAGES"
[ "${#IMGS[@]}" -gt 0 ] || die "BENCH_IMAGES is empty"
for img in "${IMGS[@]}"; do
	[[ $img =~ ^[a-z0-9][a-z0-9._-]*$ ]] || die "BENCH_IMAGES: '$img' is not a plain layout name"
	if [ ! -f "$IMAGES/$img/index.json" ] || [ ! -f "$IMAGES/$img.docker.tar" ]; then
		die "no OCI layout $IMAGES/$img or no $IMAGES/$img.docker.tar (tests/lib/mkimages.sh $IMAGES $img)"
	fi
done
if has podman; then
	[[ " ${IMGS[*]} " == *" $COLD_IMG "* ]] || die "BENCH_COLD_IMAGE '$COLD_IMG' is not one of BENCH_IMAGES"
	[ -w /proc/sys/vm/drop_caches ] || die "cannot write /proc/sys/vm/drop_caches (the cold measurements need it)"
fi
RUNC=$(command -v runc)
# What imprint reads from the environment is set per command below, never inherited; no
# configuration file (/etc/imprint/imprint.conf) is read by anything this script runs.
unset IMPRINT_POLICY_DIR IMPRINT_KEYS_DIR IMPRINT_STATE_DIR IMPRINT_FINGERPRINT_DIR IMPRINT_AUDIT_LOG \
	IMPRINT_RUNTIME IMPRINT_MODE IMPRINT_STORAGE_ROOT IMPRINT_SOCKET IMPRINT_PARANOID IMPRINT_THREADS
export IMPRINT_CONFIG=
mkdir -p "$WORK"

# Layout of WORK:
#   store/ run/           the private podman store (kept between runs; `podman pull` is idempotent)
#   tamper-store/ -run/   a second store whose busybox layer gets a byte changed (rebuilt each run)
#   conf/                 keys, policies, state, audit logs, hooks dirs (rebuilt each run)
#   sock/                 imprintd's sockets, events databases; imprintd-NAME.log their stderr
#   bundles/              umoci bundles for runc (rebuilt each run)
#   bin/imprint-runc      symlink to the imprint-runc front beside IMPRINT (else to IMPRINT);
#                         bin/imprint-runc-CONF: scripts for containerd
#   docker/               the private dockerd: data/ (its data root), exec/, docker.sock (rebuilt)
#   containerd/           the private containerd: root/, state/, runc/, containerd.sock (rebuilt)
STORE=$WORK/store RUNROOT=$WORK/run
TSTORE=$WORK/tamper-store TRUNROOT=$WORK/tamper-run
CONF=$WORK/conf BUNDLES=$WORK/bundles SOCKS=$WORK/sock BIN=$WORK/bin
D_DIR=$WORK/docker D_ROOT=$WORK/docker/data D_EXEC=$WORK/docker/exec D_SOCK=$WORK/docker/docker.sock
C_DIR=$WORK/containerd C_SOCK=$WORK/containerd/containerd.sock CTR_NS=imprint-bench
ULIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=4096:4096)
[ "${#SOCKS}" -le 95 ] || die "BENCH_WORK is too long for a unix socket path below it ($SOCKS)"
# the longest: dockerd's containerd's ttrpc socket (108 bytes at most)
[ $((${#D_EXEC} + 35)) -le 107 ] || die "BENCH_WORK is too long for dockerd's sockets below it ($D_EXEC)"
PIN_PREFIX=/sys/fs/bpf/imprint-bench-$$

# podman ROOT RUNROOT ARGS...: podman on a private store.
podman_at() {
	local root=$1 runroot=$2
	shift 2
	podman --root "$root" --runroot "$runroot" --storage-driver overlay "$@"
}

# pmrun ROOT RUNROOT HOOKSDIR IMAGE CMD: start IMAGE with CMD as entrypoint and no network.
pmrun() {
	podman_at "$1" "$2" --hooks-dir "$3" run --rm --network none "${ULIMITS[@]}" --entrypoint "$5" "$4"
}

# dk ARGS...: the docker client on the private dockerd.
dk() { DOCKER_CONFIG=$D_DIR/client "$DOCKER_CLI" -H "unix://$D_SOCK" "$@"; }
# cr ARGS...: ctr on the private containerd, in its own namespace.
cr() { ctr --address "$C_SOCK" --namespace "$CTR_NS" "$@"; }
# ctr_run RUNC_BINARY ARGS...: ctr run --rm with private FIFOs and runc root, through RUNC_BINARY
# ('' for containerd's own runc).
ctr_run() {
	local rt=$1
	shift
	cr run --rm --fifo-dir "$C_DIR/fifo" --runc-root "$C_DIR/runc" ${rt:+--runc-binary "$rt"} "$@"
}

# A directory tree under WORK must not hold mounts before it is deleted.
safe_rm() {
	local d
	for d in "$@"; do
		if findmnt -rn -o TARGET | grep -qF -- "$d"; then
			die "$d still has mounts (findmnt | grep $d); unmount them first"
		fi
		rm -rf --one-file-system -- "$d"
	done
}
# unmount_below DIR: whatever is mounted below DIR (an engine's leftovers), deepest first.
unmount_below() {
	local m
	awk -v d="$1/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
}

# A podman start that a hook refuses leaves the store's overlay/ bind mount behind (podman 4.3;
# the next successful start in that store would remove it). Only the tamper store sees refusals last.
unmount_tamper_store() {
	if mountpoint -q "$TSTORE/overlay"; then umount "$TSTORE/overlay"; fi
}

drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }

# alive PID: the process exists and is not a zombie.
alive() {
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	[ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]
}
# stop_pid PID [SECONDS [DUMP]]: SIGTERM, then SIGKILL after SECONDS (default 20); reaped if our
# child. DUMP (dockerd, containerd): SIGUSR1 first, so the Go daemon writes its goroutine stacks
# (into its log, or a goroutine-stacks-*.log in its exec root) to show where it hung.
stop_pid() {
	local pid=$1 i
	if alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < ${2:-20} * 10; i++)); do
			alive "$pid" || break
			sleep 0.1
		done
		if alive "$pid"; then
			if [ -n "${3:-}" ]; then
				kill -USR1 "$pid" 2>/dev/null || true
				sleep 1
			fi
			log "warning: pid $pid${3:+ ($3)} did not stop on SIGTERM within ${2:-20}s; SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
			for ((i = 0; i < 50; i++)); do
				alive "$pid" || break
				sleep 0.1
			done
		fi
	fi
	wait "$pid" 2>/dev/null || true
}

# --- imprint configurations and imprintd --------------------------------------------------------------

# A configuration NAME is CONF/NAME/{policy.d,state,audit.jsonl,hooks/imprint.json}, trusting
# CONF/keys, and a mode: SOCKET[NAME] is the imprintd socket its hook and imprint-runc ask first,
# or empty for paranoid (never ask imprintd). Each imprintd serves one configuration, with that
# configuration's policy: a hook's own --policy-dir does not count when imprintd answers.
declare -A SOCKET
# hook_argv NAME: CMD is `imprint hook` as NAME's hooks.d file runs it (also run by hand).
hook_argv() {
	local d=$CONF/$1
	CMD=("$IMPRINT" hook --config "" --policy-dir "$d/policy.d" --keys-dir "$CONF/keys" --state-dir "$d/state"
		--fingerprint-dir "$CONF/fps" --audit-log "$d/audit.jsonl")
	if [ -n "${SOCKET[$1]}" ]; then CMD+=(--socket "${SOCKET[$1]}"); else CMD+=(--paranoid); fi
}
# write_conf NAME POLICY_JSON SOCKET: writes NAME with POLICY_JSON signed into policy.d.
write_conf() {
	local d=$CONF/$1
	SOCKET[$1]=$3
	mkdir -p "$d/policy.d" "$d/state" "$d/hooks"
	"$IMPRINT" policy sign "$2" --key "$CONF/signer.key" -o "$d/policy.d/base.dsse" >/dev/null
	: >"$d/audit.jsonl"
	hook_argv "$1"
	# podman runs the small front imprint-hook beside IMPRINT, as the shipped hooks.d file does
	printf '%s\n' imprint-hook "${CMD[@]:2}" | jq -R . | jq -s --arg imprint "$HOOK_BIN" '{
		version: "1.0.0",
		hook: { path: $imprint, args: . },
		when: { always: true },
		stages: ["createRuntime"]
	}' >"$d/hooks/imprint.json"
}
# conf_env NAME: ENVV is NAME's configuration as IMPRINT_KEY=VALUE words (an engine daemon's
# environment, which containerd's shim passes on to imprint-runc).
conf_env() {
	ENVV=(IMPRINT_CONFIG= IMPRINT_POLICY_DIR="$CONF/$1/policy.d" IMPRINT_KEYS_DIR="$CONF/keys"
		IMPRINT_STATE_DIR="$CONF/$1/state" IMPRINT_FINGERPRINT_DIR="$CONF/fps"
		IMPRINT_AUDIT_LOG="$CONF/$1/audit.jsonl" IMPRINT_RUNTIME="$RUNC" IMPRINT_MODE=enforce)
	if [ -n "${SOCKET[$1]}" ]; then ENVV+=(IMPRINT_SOCKET="${SOCKET[$1]}"); else ENVV+=(IMPRINT_PARANOID=1); fi
}
# conf_args NAME: ARGV is NAME's configuration as imprint-runc's leading --imprint-KEY=VALUE
# arguments (Docker's runtimeArgs); they override whatever the environment says.
conf_args() {
	ARGV=(--imprint-policy-dir="$CONF/$1/policy.d" --imprint-keys-dir="$CONF/keys"
		--imprint-state-dir="$CONF/$1/state" --imprint-fingerprint-dir="$CONF/fps"
		--imprint-audit-log="$CONF/$1/audit.jsonl" --imprint-runtime="$RUNC" --imprint-mode=enforce)
	if [ -n "${SOCKET[$1]}" ]; then
		ARGV+=(--imprint-socket="${SOCKET[$1]}" --imprint-paranoid=no)
	else
		ARGV+=(--imprint-paranoid=yes)
	fi
}
# use_conf NAME: the environment imprint-runc reads its configuration from.
use_conf() {
	local kv
	unset IMPRINT_SOCKET IMPRINT_PARANOID
	conf_env "$1"
	for kv in "${ENVV[@]}"; do export "${kv?}"; done
}
# imprint_runc NAME ARGS...: imprint-runc ARGS with NAME's configuration, in a subshell that execs
# it (one fork, as for runc itself; the script's own environment stays free of IMPRINT_*, which
# `imprint hook` would read too).
imprint_runc() { (use_conf "$1" && shift && exec "$BIN/imprint-runc" "$@"); }

declare -A DAEMON_PID # configuration -> its running imprintd
# start_daemon NAME: imprintd for configuration NAME, in the background, ready to answer. As a
# host runs it (events database, metrics socket, runtime protection on), with everything private.
start_daemon() {
	local d=$CONF/$1 i
	"$IMPRINT" daemon --config "" --socket "${SOCKET[$1]}" --policy-dir "$d/policy.d" --keys-dir "$CONF/keys" \
		--state-dir "$d/state" --fingerprint-dir "$CONF/fps" --events-db "$SOCKS/events-$1.db" \
		--metrics-socket "$SOCKS/metrics-$1.sock" --pin-dir "$PIN_PREFIX-$1" \
		--protect-state-dir "$SOCKS/protected-$1" </dev/null 2>>"$SOCKS/imprintd-$1.log" &
	DAEMON_PID[$1]=$!
	for ((i = 0; i < 200; i++)); do
		if "$IMPRINT" status --json --socket "${SOCKET[$1]}" >/dev/null 2>&1; then return 0; fi
		kill -0 "${DAEMON_PID[$1]}" 2>/dev/null || break
		sleep 0.05
	done
	tail -n 5 "$SOCKS/imprintd-$1.log" >&2
	die "imprintd for $1 did not answer on ${SOCKET[$1]}"
}
stop_daemon() {
	local pid=${DAEMON_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset "DAEMON_PID[$1]"
}
# daemon_stats NAME: "HITS MISSES INVALIDATIONS EVENTS LAYERS" of NAME's imprintd (imprint status).
daemon_stats() {
	local s
	s=$("$IMPRINT" status --json --socket "${SOCKET[$1]}") || die "imprintd for $1: imprint status failed"
	jq -r '"\(.hits) \(.misses) \(.invalidations) \(.events) \(.layers)"' <<<"$s"
}
# stats_delta BEFORE AFTER: AFTER - BEFORE, field by field.
stats_delta() {
	local -a a b
	read -r -a a <<<"$1"
	read -r -a b <<<"$2"
	echo "$((b[0] - a[0])) $((b[1] - a[1])) $((b[2] - a[2])) $((b[3] - a[3])) $((b[4] - a[4]))"
}
# daemon_mem NAME: "VMRSS_KB VMHWM_KB" of NAME's imprintd.
daemon_mem() {
	awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { print r, h }' "/proc/${DAEMON_PID[$1]}/status"
}

stop_all() {
	local name
	for name in "${!DAEMON_PID[@]}"; do stop_daemon "$name"; done
	# imprintd pins its kernel-side layers only for a container that asks for enforcement (none
	# here), and leaves them on purpose when stopped: remove what a run may have left.
	for name in "$PIN_PREFIX"-*; do
		[ -d "$name" ] || continue
		rm -f "$name"/* 2>/dev/null || true
		rmdir "$name" 2>/dev/null || log "warning: could not remove $name"
	done
}

# --- Docker and containerd: private daemons ------------------------------------------------------

# Docker runtimes (daemon.json) and containerd runc binaries per configuration: the timed ones
# (docker, containerd) take their configuration from the daemon's environment, as a host would
# from imprint.conf; the others from leading --imprint-KEY=VALUE arguments (runtimeArgs, or a
# two-line script that execs imprint-runc with them, since ctr passes a path only).
declare -A DOCKER_RT=([docker]=imprint [docker-paranoid]=imprint-paranoid [docker-deny]=imprint-deny
	[docker-deny-paranoid]=imprint-deny-paranoid)
declare -A CTR_RT
D_PID="" C_PID=""

# kill_shims ADDRESS: SIGKILL the containerd shims serving the containerd at ADDRESS (what is left
# when that containerd died under them); found by their exact -address argument.
kill_shims() {
	local p args
	for p in /proc/[0-9]*; do
		args=$(tr '\0' '\n' 2>/dev/null <"$p/cmdline") || continue
		[[ "$args" == *containerd-shim*$'\n-address\n'"$1"$'\n'* ]] || continue
		kill -KILL "${p#/proc/}" 2>/dev/null || true
	done
}
# runc_delete_all ROOT: delete -f every container runc keeps state for in ROOT.
runc_delete_all() {
	local id
	[ -d "$1" ] || return 0
	for id in $("$RUNC" --root "$1" list -q 2>/dev/null); do
		"$RUNC" --root "$1" delete -f "$id" >/dev/null 2>&1 || true
	done
}
# wait_answer WHAT PID LOG SECONDS CMD...: until CMD succeeds; die with LOG's end if PID exits or
# SECONDS pass.
wait_answer() {
	local what=$1 pid=$2 logf=$3 secs=$4 i
	shift 4
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		alive "$pid" || { tail -n 30 "$logf" >&2; die "$what exited while starting (the end of $logf above)"; }
		sleep 0.1
	done
	tail -n 30 "$logf" >&2
	die "$what did not answer within ${secs}s (the end of $logf above)"
}

start_docker() {
	local -a rts=()
	local c
	mkdir -p "$D_ROOT" "$D_EXEC" "$D_DIR/client"
	for c in docker-paranoid docker-deny docker-deny-paranoid; do
		conf_args "$c"
		rts+=("${DOCKER_RT[$c]}" "$(printf '%s\n' "${ARGV[@]}" | jq -R . | jq -sc .)")
	done
	printf '%s\n' "${rts[@]}" | jq -nR --arg key "$D_DIR/key.json" --arg rt "$BIN/imprint-runc" \
		--arg floor "$FLOOR" '
		[inputs] as $a | { "deprecated-key-path": $key,
		  runtimes: ({ imprint: { path: $rt }, "exec-only": { path: $floor } } + ([range(0; $a | length; 2) as $i |
		    { key: $a[$i], value: { path: $rt, runtimeArgs: ($a[$i + 1] | fromjson) } }] | from_entries)) }' \
		>"$D_DIR/daemon.json"
	conf_env docker
	log "dockerd (private: $D_DIR), runtime imprint = $BIN/imprint-runc"
	env -i PATH="$DAEMON_PATH" HOME=/root "${ENVV[@]}" "$DOCKERD" \
		--data-root "$D_ROOT" --exec-root "$D_EXEC" -H "unix://$D_SOCK" \
		--pidfile "$D_EXEC/dockerd.pid" --config-file "$D_DIR/daemon.json" \
		--iptables=false --ip6tables=false --bridge=none --ip-forward=false --ip-masq=false \
		--storage-driver overlay2 </dev/null >>"$D_DIR/dockerd.log" 2>&1 &
	D_PID=$!
	echo "$D_PID" >"$D_DIR/bench.pid"
	wait_answer dockerd "$D_PID" "$D_DIR/dockerd.log" 60 dk version --format '{{.Server.Version}}'
	[ -S "$D_EXEC/containerd/containerd.sock" ] ||
		die "dockerd did not start its own containerd in $D_EXEC/containerd (see $D_DIR/dockerd.log)"
}
stop_docker() {
	local ids
	[ -n "$D_PID" ] || return 0
	if alive "$D_PID"; then
		ids=$(dk ps -aq 2>/dev/null || true)
		# shellcheck disable=SC2086
		[ -z "$ids" ] || dk rm -f $ids >/dev/null 2>&1 || true
	fi
	stop_pid "$D_PID" 30 dockerd
	# what a dockerd that died leaves: its containerd, shims, containers, mounts
	runc_delete_all "$D_EXEC/runtime-runc/moby"
	stop_pid "$(cat "$D_EXEC/containerd/containerd.pid" 2>/dev/null || true)" 10
	kill_shims "$D_EXEC/containerd/containerd.sock"
	unmount_below "$D_DIR"
	rm -f "$D_DIR/bench.pid"
	D_PID=""
}

start_containerd() {
	local c
	mkdir -p "$C_DIR/root" "$C_DIR/state" "$C_DIR/fifo" "$C_DIR/runc"
	# everything private; no CRI (it would want CNI), no snapshotters that cannot work here
	cat >"$C_DIR/config.toml" <<-EOF
		version = 2
		root = "$C_DIR/root"
		state = "$C_DIR/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
		  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
		  "io.containerd.snapshotter.v1.devmapper"]
		[grpc]
		  address = "$C_SOCK"
		[ttrpc]
		  address = "$C_SOCK.ttrpc"
		[debug]
		  address = ""
		  level = "info"
		[metrics]
		  address = ""
		[plugins]
		  [plugins."io.containerd.internal.v1.opt"]
		    path = "$C_DIR/root/opt"
		  [plugins."io.containerd.runtime.v1.linux"]
		    runtime_root = "$C_DIR/state/runc-v1"
	EOF
	CTR_RT[containerd]=$BIN/imprint-runc
	for c in containerd-paranoid containerd-deny containerd-deny-paranoid; do
		conf_args "$c"
		printf '#!/bin/sh\nexec %q %s "$@"\n' "$BIN/imprint-runc" "$(printf '%q ' "${ARGV[@]}")" >"$BIN/imprint-runc-$c"
		chmod 0755 "$BIN/imprint-runc-$c"
		CTR_RT[$c]=$BIN/imprint-runc-$c
	done
	conf_env containerd
	log "containerd (private: $C_DIR), ctr --runc-binary $BIN/imprint-runc"
	env -i PATH="$DAEMON_PATH" HOME=/root "${ENVV[@]}" containerd --config "$C_DIR/config.toml" \
		</dev/null >>"$C_DIR/containerd.log" 2>&1 &
	C_PID=$!
	echo "$C_PID" >"$C_DIR/bench.pid"
	wait_answer containerd "$C_PID" "$C_DIR/containerd.log" 30 cr version
}
stop_containerd() {
	local id
	[ -n "$C_PID" ] || return 0
	if alive "$C_PID"; then
		# containerd leaves its shims (and their containers) running when it stops
		for id in $(cr tasks ls -q 2>/dev/null); do cr tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true; done
		for id in $(cr tasks ls -q 2>/dev/null); do cr tasks delete -f "$id" >/dev/null 2>&1 || true; done
		for id in $(cr containers ls -q 2>/dev/null); do cr containers rm "$id" >/dev/null 2>&1 || true; done
	fi
	stop_pid "$C_PID" 20 "containerd; its stacks: $C_DIR/containerd.log"
	runc_delete_all "$C_DIR/runc/$CTR_NS"
	kill_shims "$C_SOCK"
	unmount_below "$C_DIR"
	rm -f "$C_DIR/bench.pid"
	C_PID=""
}

# engine_clean ENGINE: remove what a refused start left (Docker: the created container;
# containerd: the container record).
engine_clean() {
	local ids id
	case $1 in
	docker)
		ids=$(dk ps -aq)
		# shellcheck disable=SC2086
		[ -z "$ids" ] || dk rm -f $ids >/dev/null
		;;
	containerd)
		for id in $(cr tasks ls -q); do cr tasks delete -f "$id" >/dev/null 2>&1 || true; done
		for id in $(cr containers ls -q); do cr containers rm "$id" >/dev/null; done
		;;
	esac
}

# chain_ids DIFFID...: the layers' chain IDs, bottom first (Docker and containerd name layers so).
chain_ids() {
	local chain="" d
	for d in "$@"; do
		if [ -z "$chain" ]; then
			chain=$d
		else
			chain=sha256:$(printf '%s %s' "$chain" "$d" | sha256sum | cut -d' ' -f1)
		fi
		echo "$chain"
	done
}
# docker_layer_dirs IMAGE: overlay2/<cache-id>/diff of each layer, top first.
docker_layer_dirs() {
	local chain
	# shellcheck disable=SC2086
	for chain in $(chain_ids ${DIFFIDS[$1]} | tac); do
		echo "$D_ROOT/overlay2/$(cat "$D_ROOT/image/overlay2/layerdb/sha256/${chain#sha256:}/cache-id")/diff"
	done
}
# ctr_layer_dirs IMAGE: the snapshot directory of each layer, top first. A view of the top layer
# is mounted as an overlay of them all, or a bind mount of the one (the snapshotter's numeric ids
# live in its bolt database, which no shell tool reads).
ctr_layer_dirs() {
	local top key=imprint-bench-probe-$$ m
	# shellcheck disable=SC2086
	top=$(chain_ids ${DIFFIDS[$1]} | tail -n 1)
	# its mounts printed by the call that makes it: an unleased view may be garbage-collected
	m=$(cr snapshots view --mounts "$key" "$top")
	cr snapshots rm "$key" >/dev/null 2>&1 || true
	jq -r '.[0] | if .Type == "bind" then .Source
		else (.Options[] | select(startswith("lowerdir=")) | ltrimstr("lowerdir=") | split(":")[]) end' \
		<<<"$m" | grep . || die "cannot read the snapshot directories of $1 from: $m"
}
# layer_dirs ENGINE IMAGE: the image's stored layer directories, top first.
layer_dirs() {
	case $1 in
	docker) docker_layer_dirs "$2" ;;
	containerd) ctr_layer_dirs "$2" ;;
	esac
}

# --- setup -----------------------------------------------------------------------------------------

declare -A IMAGE_ID ROOT_DIGEST DIFFIDS NFILES BYTES

setup() {
	local f pid img id
	# A run killed with SIGKILL leaves its engine daemons: do not start a second one on the same root.
	for f in "$D_DIR/bench.pid" "$C_DIR/bench.pid"; do
		pid=$(cat "$f" 2>/dev/null || true)
		! alive "$pid" || die "a daemon of an earlier run (pid $pid, $f) still runs; stop it first"
	done
	unmount_tamper_store
	unmount_below "$D_DIR"
	unmount_below "$C_DIR"
	safe_rm "$CONF" "$BUNDLES" "$TSTORE" "$TRUNROOT" "$SOCKS" "$D_DIR" "$C_DIR" "$BIN"
	mkdir -p "$CONF/keys" "$CONF/fps" "$CONF/nohooks" "$BUNDLES" "$BIN" "$D_DIR" "$C_DIR"
	mkdir -m 0700 "$SOCKS"
	# the small fronts built next to IMPRINT (what is installed), else imprint itself under their
	# names (it does the same, more slowly)
	HOOK_BIN=$(dirname "$IMPRINT")/imprint-hook
	[ -x "$HOOK_BIN" ] || HOOK_BIN=$IMPRINT
	# the floor of any runtime wrapper (Docker and containerd): a program that only execs runc
	FLOOR=$BIN/runc-exec-only
	printf '#include <unistd.h>\nint main(int c, char **v) { (void)c; v[0] = "runc"; execv("%s", v); return 127; }\n' \
		"$RUNC" | cc -O2 -x c -o "$FLOOR" - || die "cannot build $FLOOR (cc)"
	if [ -x "$(dirname "$IMPRINT")/imprint-runc" ]; then
		ln -sfn "$(dirname "$IMPRINT")/imprint-runc" "$BIN/imprint-runc"
	else
		ln -sfn "$IMPRINT" "$BIN/imprint-runc"
	fi

	log "keys, policies and imprint configurations in $CONF"
	"$IMPRINT" keygen --out "$CONF/signer" >/dev/null
	cp "$CONF/signer.pub" "$CONF/keys/"
	"$IMPRINT" policy init "$CONF/allow.json" --name base >/dev/null
	"$IMPRINT" policy init "$CONF/empty.json" --name base >/dev/null
	for img in "${IMGS[@]}"; do
		# One entry per image, from its docker-archive: it serves podman, Docker and containerd.
		"$IMPRINT" policy add "$CONF/allow.json" "docker-archive:$IMAGES/$img.docker.tar" >/dev/null
		"$IMPRINT" inspect --json "docker-archive:$IMAGES/$img.docker.tar" >"$WORK/inspect.json"
		id=$(jq -r .configDigest "$WORK/inspect.json")
		IMAGE_ID[$img]=${id#sha256:}
		DIFFIDS[$img]=$(jq -r '[.layers[].diffID] | join(" ")' "$WORK/inspect.json")
		# The policy entry pinning this image: its root digest is what every verdict must report.
		ROOT_DIGEST[$img]=$(jq -r --arg c "$id" '.images[] | select(.configDigest == $c) | .rootDigest' "$CONF/allow.json")
		[[ ${ROOT_DIGEST[$img]} == sha256:* ]] || die "$img: the policy has no entry for config $id"
	done
	# allow: pins every image, through imprintd (the timed default mode); paranoid: the same policy,
	# never asking imprintd; deny, deny-paranoid: pin none (defaultAction deny); cold, cold-paranoid:
	# the never-seen image's measurements (their own imprintd and audit logs). Docker and containerd
	# have the same four as ENGINE, ENGINE-paranoid, ENGINE-deny, ENGINE-deny-paranoid (their own
	# audit logs), asking the same two imprintd.
	write_conf allow "$CONF/allow.json" "$SOCKS/allow.sock"
	write_conf paranoid "$CONF/allow.json" ""
	write_conf deny "$CONF/empty.json" "$SOCKS/deny.sock"
	write_conf deny-paranoid "$CONF/empty.json" ""
	write_conf cold "$CONF/allow.json" "$SOCKS/cold.sock"
	write_conf cold-paranoid "$CONF/allow.json" ""
	for f in docker containerd; do
		write_conf "$f" "$CONF/allow.json" "$SOCKS/allow.sock"
		write_conf "$f-paranoid" "$CONF/allow.json" ""
		write_conf "$f-deny" "$CONF/empty.json" "$SOCKS/deny.sock"
		write_conf "$f-deny-paranoid" "$CONF/empty.json" ""
	done

	for img in "${IMGS[@]}"; do
		if has podman; then
			log "$img: podman pull into $STORE"
			id=$(podman_at "$STORE" "$RUNROOT" pull -q "oci:$IMAGES/$img:latest" 2>"$WORK/err") ||
				{ cat "$WORK/err" >&2; die "podman pull oci:$IMAGES/$img:latest failed"; }
			[ "$id" = "${IMAGE_ID[$img]}" ] ||
				die "$img: podman pulled image $id from the layout, the docker-archive holds ${IMAGE_ID[$img]}"
			podman_at "$STORE" "$RUNROOT" tag "$id" "localhost/imprint-bench/$img:latest"
		fi
		log "$img: umoci unpack into $BUNDLES/$img"
		umoci unpack --image "$IMAGES/$img:latest" "$BUNDLES/$img" >/dev/null 2>"$WORK/err" ||
			{ cat "$WORK/err" >&2; die "umoci unpack $IMAGES/$img:latest failed"; }
		jq '.process.args = ["/bin/true"] | .process.terminal = false' "$BUNDLES/$img/config.json" \
			>"$WORK/config.json" && mv "$WORK/config.json" "$BUNDLES/$img/config.json"
		NFILES[$img]=$(find "$BUNDLES/$img/rootfs" -type f | wc -l)
		BYTES[$img]=$(du -sb "$BUNDLES/$img/rootfs" | cut -f1)
	done

	if has docker; then
		start_docker
		for img in "${IMGS[@]}"; do
			log "$img: docker load $IMAGES/$img.docker.tar"
			dk load -q -i "$IMAGES/$img.docker.tar" >/dev/null
			id=$(dk image inspect -f '{{.Id}}' "localhost/$img:latest")
			[ "$id" = "sha256:${IMAGE_ID[$img]}" ] || die "$img: docker loaded $id, not sha256:${IMAGE_ID[$img]}"
		done
	fi
	if has containerd; then
		start_containerd
		for img in "${IMGS[@]}"; do
			log "$img: ctr images import $IMAGES/$img.docker.tar"
			cr images import "$IMAGES/$img.docker.tar" >/dev/null
			cr images ls -q | grep -qx "localhost/$img:latest" || die "$img: ctr import made no localhost/$img:latest"
		done
	fi
}

# `imprint hook` by hand needs a container as podman hands it to the runtime: `podman init` creates
# one (runc create, without our hook) and leaves it in the "created" state; the hook then gets
# the OCI state JSON of that container on stdin, as runc would pass it.
declare -A HOOK_CID
create_hook_containers() {
	local img cid bundle
	for img in "${IMGS[@]}"; do
		cid=$(podman_at "$STORE" "$RUNROOT" --hooks-dir "$CONF/nohooks" create --network none "${ULIMITS[@]}" \
			--entrypoint /bin/true "localhost/imprint-bench/$img:latest" 2>"$WORK/err") ||
			{ cat "$WORK/err" >&2; die "podman create $img failed"; }
		HOOK_CID[$img]=$cid
		podman_at "$STORE" "$RUNROOT" --hooks-dir "$CONF/nohooks" init "$cid" >/dev/null 2>"$WORK/err" ||
			{ cat "$WORK/err" >&2; die "podman init $img failed"; }
		bundle=$(podman_at "$STORE" "$RUNROOT" inspect --format '{{.StaticDir}}' "$cid")
		[ -f "$bundle/config.json" ] || die "podman init $img: no config.json in $bundle"
		jq -n --arg id "$cid" --arg b "$bundle" \
			'{ ociVersion: "1.0.2", id: $id, status: "creating", pid: 0, bundle: $b }' >"$WORK/state-$img.json"
	done
}
remove_hook_containers() {
	local img
	for img in "${!HOOK_CID[@]}"; do
		podman_at "$STORE" "$RUNROOT" rm -f "${HOOK_CID[$img]}" >/dev/null 2>&1 || true
	done
	HOOK_CID=()
}
# Everything this script started stops, whatever happened: engines, imprintd, containers, mounts.
cleanup() {
	set +e
	trap - EXIT INT TERM
	stop_docker
	stop_containerd
	stop_all
	remove_hook_containers
	unmount_tamper_store 2>/dev/null
	rm -f "$WORK/inspect.json"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- checks: the benchmark must not measure nothing ------------------------------------------------

# count_hook CONF VERDICT CONFIG_ID: audit lines of the hook in CONF with that verdict and image.
count_hook() {
	jq -c --arg v "$2" --arg c "sha256:$3" \
		'select(.event == "hook" and .verdict == $v and .digests.config == $c)' "$CONF/$1/audit.jsonl" | wc -l
}
# count_runtime CONF VERDICT ROOT_DIGEST ID_PREFIX: the same for the runc wrapper.
count_runtime() {
	jq -c --arg v "$2" --arg r "$3" --arg p "$4" \
		'select(.event == "runtime" and .verdict == $v and .digests.root == $r and (.container | startswith($p)))' \
		"$CONF/$1/audit.jsonl" | wc -l
}
# count_verdict CONF VERDICT [EVENT IMAGE]: audit lines in CONF with that verdict (and from that
# entry point, for that image: its config or root digest).
count_verdict() {
	jq -c --arg v "$2" --arg e "${3:-}" --arg c "sha256:${IMAGE_ID[${4:-x}]:-}" --arg r "${ROOT_DIGEST[${4:-x}]:-}" \
		'select(.verdict == $v and ($e == "" or (.event == $e and
			(.digests.config == $c or .digests.root == $r))))' "$CONF/$1/audit.jsonl" | wc -l
}
audit_lines() { wc -l <"$CONF/$1/audit.jsonl"; }

# expect_ok DESC CMD...: CMD must succeed (stdin: EXPECT_STDIN, default /dev/null).
expect_ok() {
	local desc=$1
	shift
	local rc=0
	"$@" <"${EXPECT_STDIN:-/dev/null}" >"$WORK/out" 2>"$WORK/err" || rc=$?
	[ "$rc" -eq 0 ] || { tail -n 20 "$WORK/err" >&2; die "check failed: $desc: '$*' exited $rc"; }
}
# expect_fail DESC CMD...: CMD must fail.
expect_fail() {
	local desc=$1
	shift
	if "$@" </dev/null >"$WORK/out" 2>"$WORK/err"; then die "check failed: $desc: '$*' succeeded"; fi
}
expect_count() { # DESC GOT WANT
	[ "$2" -eq "$3" ] || die "check failed: $1: $2 audit lines, $3 expected"
	log "  ok: $1"
}
# expect_daemon DESC NAME BEFORE: NAME's imprintd must have looked up a layer in its cache since
# the stats BEFORE (a hit or a miss) when NAME has a socket, and must not have when it is paranoid.
# DAEMON_OF names the imprintd to watch for a paranoid configuration.
declare -A DAEMON_OF=([allow]=allow [paranoid]=allow [deny]=deny [deny-paranoid]=deny
	[cold]=cold [cold-paranoid]=cold
	[docker]=allow [docker-paranoid]=allow [docker-deny]=deny [docker-deny-paranoid]=deny
	[containerd]=allow [containerd-paranoid]=allow [containerd-deny]=deny [containerd-deny-paranoid]=deny)
expect_daemon() {
	local -a d
	read -r -a d <<<"$(stats_delta "$3" "$(daemon_stats "${DAEMON_OF[$2]}")")"
	if [ -n "${SOCKET[$2]}" ]; then
		[ $((d[0] + d[1])) -gt 0 ] || die "check failed: $1: imprintd was not asked (no cache hit or miss)"
		log "  ok: $1: imprintd used (hits +${d[0]}, misses +${d[1]})"
	else
		[ $((d[0] + d[1])) -eq 0 ] || die "check failed: $1: paranoid, yet imprintd looked up $((d[0] + d[1])) layers"
		log "  ok: $1: imprintd not asked"
	fi
}

# expect_lookup DESC NAME BEFORE hit|miss: since the stats BEFORE, NAME's imprintd found the layers
# it was asked for in its cache (hit), or had to hash them all (miss).
expect_lookup() {
	local -a d
	read -r -a d <<<"$(stats_delta "$3" "$(daemon_stats "$2")")"
	case $4 in
	hit) if [ "${d[0]}" -gt 0 ] && [ "${d[1]}" -eq 0 ]; then return 0; fi ;;
	miss) if [ "${d[1]}" -gt 0 ] && [ "${d[0]}" -eq 0 ]; then return 0; fi ;;
	esac
	die "check failed: $1: expected only a cache $4, imprintd had hits +${d[0]}, misses +${d[1]}"
}

# runc container IDs (also ctr's): imprint-bench-PID-IMAGE-WHAT-N, unique within a run of the script.
runc_id() { echo "imprint-bench-$$-$1-$2"; }

# flip_byte FILE: invert one bit of the byte in FILE's middle, in place, keeping its size and mtime
# (so only its content tells). Its own inverse.
flip_byte() {
	local f=$1 off old mtime
	off=$(($(stat -c %s "$f") / 2))
	old=$(od -An -tx1 -j "$off" -N1 "$f" | tr -d ' \n')
	mtime=$(stat -c %y "$f")
	printf '%b' "\\x$(printf '%02x' $((0x$old ^ 0x20)))" |
		dd of="$f" bs=1 seek="$off" count=1 conv=notrunc status=none
	touch -d "$mtime" "$f"
}

declare -A MODE_LABEL=([allow]="through imprintd" [paranoid]="paranoid" [deny]="through imprintd"
	[deny-paranoid]="paranoid"
	[docker]="through imprintd" [docker-paranoid]="paranoid" [docker-deny]="through imprintd"
	[docker-deny-paranoid]="paranoid"
	[containerd]="through imprintd" [containerd-paranoid]="paranoid" [containerd-deny]="through imprintd"
	[containerd-deny-paranoid]="paranoid")

checks_podman() {
	local img=$1 id=${IMAGE_ID[$1]} ref=localhost/imprint-bench/$1:latest c s0 before
	# podman: the container runs (/bin/false's status comes back), with and without the hook.
	expect_fail "$img: podman runs the container (/bin/false must fail)" \
		pmrun "$STORE" "$RUNROOT" "$CONF/nohooks" "$ref" /bin/false
	expect_ok "$img: podman run without hook" pmrun "$STORE" "$RUNROOT" "$CONF/nohooks" "$ref" /bin/true
	expect_count "$img: podman run without hook leaves no audit line" \
		$(($(count_hook allow allowed "$id") + $(count_hook paranoid allowed "$id"))) 0
	for c in allow paranoid; do
		s0=$(daemon_stats "${DAEMON_OF[$c]}")
		expect_ok "$img: podman run with the imprint hook (${MODE_LABEL[$c]})" \
			pmrun "$STORE" "$RUNROOT" "$CONF/$c/hooks" "$ref" /bin/true
		expect_count "$img: podman + hook (${MODE_LABEL[$c]}): the hook allowed it" "$(count_hook "$c" allowed "$id")" 1
		expect_daemon "$img: podman + hook (${MODE_LABEL[$c]})" "$c" "$s0"
	done
	# A policy that does not pin the image: podman must fail to start it.
	for c in deny deny-paranoid; do
		s0=$(daemon_stats "${DAEMON_OF[$c]}")
		expect_fail "$img: podman + hook (${MODE_LABEL[$c]}), image not in the policy, must be refused" \
			pmrun "$STORE" "$RUNROOT" "$CONF/$c/hooks" "$ref" /bin/true
		expect_count "$img: podman + hook (${MODE_LABEL[$c]}), image not in the policy: refused" \
			"$(count_hook "$c" refused "$id")" 1
		expect_daemon "$img: podman + hook (${MODE_LABEL[$c]}), image not in the policy" "$c" "$s0"
	done
	# The hook by hand on a created container (what the never-seen measurements run).
	for c in allow paranoid; do
		hook_argv "$c"
		before=$(count_hook "$c" allowed "$id")
		s0=$(daemon_stats "${DAEMON_OF[$c]}")
		EXPECT_STDIN=$WORK/state-$img.json expect_ok "$img: imprint hook by hand (${MODE_LABEL[$c]})" "${CMD[@]}"
		expect_count "$img: imprint hook by hand (${MODE_LABEL[$c]}): allowed" \
			"$(count_hook "$c" allowed "$id")" $((before + 1))
		expect_daemon "$img: imprint hook by hand (${MODE_LABEL[$c]})" "$c" "$s0"
	done
}

checks_runc() {
	local img=$1 root=${ROOT_DIGEST[$1]} c s0
	# runc and imprint-runc on the umoci bundle.
	expect_ok "$img: runc run" "$RUNC" run -b "$BUNDLES/$img" "$(runc_id "$img" check-0)"
	for c in allow paranoid deny deny-paranoid; do
		s0=$(daemon_stats "${DAEMON_OF[$c]}")
		if [[ $c == allow || $c == paranoid ]]; then
			expect_ok "$img: imprint-runc run (${MODE_LABEL[$c]})" \
				imprint_runc "$c" run -b "$BUNDLES/$img" "$(runc_id "$img" "check-$c")"
			expect_count "$img: imprint-runc (${MODE_LABEL[$c]}): allowed" \
				"$(count_runtime "$c" allowed "$root" "imprint-bench-$$-$img-check-")" 1
		else
			expect_fail "$img: imprint-runc (${MODE_LABEL[$c]}), image not in the policy, must be refused" \
				imprint_runc "$c" run -b "$BUNDLES/$img" "$(runc_id "$img" "check-$c")"
			expect_count "$img: imprint-runc (${MODE_LABEL[$c]}), image not in the policy: refused" \
				"$(count_runtime "$c" refused "$root" "imprint-bench-$$-$img-check-")" 1
		fi
		expect_daemon "$img: imprint-runc (${MODE_LABEL[$c]})" "$c" "$s0"
	done
}

# engine_start ENGINE CONF IMAGE ENTRYPOINT TAG: one container of IMAGE through Docker or
# containerd, with CONF's imprint-runc ('' for the engine's own runc).
engine_start() {
	local e=$1 c=$2 img=$3 entry=$4 tag=$5
	case $e in
	docker) dk run --rm --network none ${c:+--runtime "${DOCKER_RT[$c]}"} --entrypoint "$entry" "localhost/$img:latest" ;;
	containerd) ctr_run "${c:+${CTR_RT[$c]}}" "localhost/$img:latest" "$(runc_id "$img" "$tag")" "$entry" ;;
	esac
}

# checks_engine ENGINE IMAGE: Docker or containerd really runs the container; with plain runc no
# imprint verdict; through imprint-runc (imprintd, paranoid) one "allowed" verdict for the image;
# with the empty policy (imprintd, paranoid) the start fails with imprint's refusal.
checks_engine() {
	local e=$1 img=$2 c s0 n0
	expect_fail "$img: $e runs the container (/bin/false must fail)" engine_start "$e" "" "$img" /bin/false check-false
	engine_clean "$e"
	n0=$(($(audit_lines "$e") + $(audit_lines "$e-paranoid")))
	expect_ok "$img: $e with its own runc" engine_start "$e" "" "$img" /bin/true check-runc
	expect_count "$img: $e with its own runc leaves no audit line" \
		$(($(audit_lines "$e") + $(audit_lines "$e-paranoid") - n0)) 0
	for c in "$e" "$e-paranoid"; do
		n0=$(count_verdict "$c" allowed runtime "$img")
		s0=$(daemon_stats "${DAEMON_OF[$c]}")
		expect_ok "$img: $e through imprint-runc (${MODE_LABEL[$c]})" engine_start "$e" "$c" "$img" /bin/true "check-$c"
		expect_count "$img: $e through imprint-runc (${MODE_LABEL[$c]}): allowed" \
			$(($(count_verdict "$c" allowed runtime "$img") - n0)) 1
		expect_daemon "$img: $e through imprint-runc (${MODE_LABEL[$c]})" "$c" "$s0"
	done
	for c in "$e-deny" "$e-deny-paranoid"; do
		n0=$(count_verdict "$c" refused)
		s0=$(daemon_stats "${DAEMON_OF[$c]}")
		expect_fail "$img: $e through imprint-runc (${MODE_LABEL[$c]}), image not in the policy, must be refused" \
			engine_start "$e" "$c" "$img" /bin/true "check-$c"
		grep -q "imprint: refused" "$WORK/err" ||
			{ cat "$WORK/err" >&2; die "check failed: $img: $e (${MODE_LABEL[$c]}) did not show imprint's refusal"; }
		engine_clean "$e"
		expect_count "$img: $e through imprint-runc (${MODE_LABEL[$c]}), image not in the policy: refused" \
			$(($(count_verdict "$c" refused) - n0)) 1
		expect_daemon "$img: $e through imprint-runc (${MODE_LABEL[$c]}), image not in the policy" "$c" "$s0"
	done
}

# Content, not only digests, and imprintd's cache is not stale: in a second store (the timed one
# stays intact), start the first image through imprintd until its layer is served from the cache,
# change one byte of a file in the stored layer, and the next start must be refused, through
# imprintd and paranoid; with the byte restored it starts again.
tamper_podman() {
	local busy=${IMGS[0]} id diff file rel n c s0 before
	log "  tampering with one byte of a file of $busy (a private podman store copy)"
	id=$(podman_at "$TSTORE" "$TRUNROOT" pull -q "oci:$IMAGES/$busy:latest" 2>"$WORK/err") ||
		{ cat "$WORK/err" >&2; die "podman pull into $TSTORE failed"; }
	diff=$(podman_at "$TSTORE" "$TRUNROOT" image inspect --format '{{.GraphDriver.Data.UpperDir}}' "$id")
	file=$(find "$diff" -type f -size +0 -size -64k | head -n 1)
	[ -n "$file" ] || die "no small non-empty regular file in $diff to tamper with"
	rel=${file#"$diff"}
	for n in 1 2; do
		s0=$(daemon_stats allow)
		expect_ok "podman + hook (through imprintd), $busy in the tamper store, start $n" \
			pmrun "$TSTORE" "$TRUNROOT" "$CONF/allow/hooks" "$id" /bin/true
	done
	expect_lookup "the second start of $busy in the tamper store" allow "$s0" hit
	log "  ok: $busy in the tamper store is in imprintd's cache (the second start hit it)"
	flip_byte "$file"
	for c in allow paranoid; do
		before=$(count_hook "$c" refused "$id")
		s0=$(daemon_stats allow)
		expect_fail "podman + hook (${MODE_LABEL[$c]}), $busy with one byte of $rel changed in the store, must be refused" \
			pmrun "$TSTORE" "$TRUNROOT" "$CONF/$c/hooks" "$id" /bin/true
		unmount_tamper_store
		expect_count "podman + hook (${MODE_LABEL[$c]}), $busy with one byte of $rel changed: refused" \
			"$(count_hook "$c" refused "$id")" $((before + 1))
		expect_daemon "podman + hook (${MODE_LABEL[$c]}), $busy with one byte changed" "$c" "$s0"
	done
	flip_byte "$file"
	expect_ok "podman + hook (through imprintd), $busy with the byte restored" \
		pmrun "$TSTORE" "$TRUNROOT" "$CONF/allow/hooks" "$id" /bin/true
	log "  ok: podman + hook (through imprintd), $busy with the byte restored: allowed again"
}

# The same with a copy of the first image's runc bundle and imprint-runc.
tamper_runc() {
	local busy=${IMGS[0]} file rel n c s0
	log "  tampering with one byte of a file of a copy of the $busy bundle"
	cp -a "$BUNDLES/$busy" "$BUNDLES/tampered"
	file=$(find "$BUNDLES/tampered/rootfs" -type f -size +0 -size -64k | head -n 1)
	[ -n "$file" ] || die "no small non-empty regular file in the $busy bundle to tamper with"
	rel=${file#"$BUNDLES/tampered/rootfs"}
	for n in 1 2; do
		s0=$(daemon_stats allow)
		expect_ok "imprint-runc (through imprintd), copy of the $busy bundle, start $n" \
			imprint_runc allow run -b "$BUNDLES/tampered" "$(runc_id tampered "ok-$n")"
	done
	expect_lookup "the second imprint-runc start of the $busy bundle copy" allow "$s0" hit
	log "  ok: the $busy bundle copy is in imprintd's cache (the second start hit it)"
	flip_byte "$file"
	for c in allow paranoid; do
		s0=$(daemon_stats allow)
		expect_fail "imprint-runc (${MODE_LABEL[$c]}), $busy bundle with one byte of $rel changed, must be refused" \
			imprint_runc "$c" run -b "$BUNDLES/tampered" "$(runc_id tampered "bad-$c")"
		# The tampered rootfs has another root digest: count the refusals of this container.
		[ "$(jq -c --arg i "$(runc_id tampered "bad-$c")" 'select(.event == "runtime" and .verdict == "refused" and .container == $i)' \
			"$CONF/$c/audit.jsonl" | wc -l)" -eq 1 ] ||
			die "check failed: imprint-runc (${MODE_LABEL[$c]}) did not log one refusal for the tampered bundle"
		log "  ok: imprint-runc (${MODE_LABEL[$c]}), $busy bundle with one byte of $rel changed: refused"
		expect_daemon "imprint-runc (${MODE_LABEL[$c]}), bundle with one byte changed" "$c" "$s0"
	done
	flip_byte "$file"
	expect_ok "imprint-runc (through imprintd), $busy bundle with the byte restored" \
		imprint_runc allow run -b "$BUNDLES/tampered" "$(runc_id tampered ok-3)"
	log "  ok: imprint-runc (through imprintd), $busy bundle with the byte restored: allowed again"
	safe_rm "$BUNDLES/tampered"
	if "$RUNC" list -q | grep -q "^imprint-bench-$$-"; then die "runc containers left behind: $("$RUNC" list -q)"; fi
}

# The same in Docker's or containerd's own store (the timed one: the byte is put back, same size
# and mtime; imprintd re-verifies the layer at the next start, before the warm-up).
tamper_engine() {
	local e=$1 busy=${IMGS[0]} dir file rel n c s0 n0
	dir=$(layer_dirs "$e" "$busy" | head -n 1)
	[ -d "$dir" ] || die "$e: no stored layer directory for $busy ($dir)"
	file=$(find "$dir" -type f -size +0 -size -64k | head -n 1)
	[ -n "$file" ] || die "no small non-empty regular file in $dir to tamper with"
	rel=${file#"$dir"}
	log "  tampering with one byte of $rel in $e's stored layer of $busy ($dir)"
	for n in 1 2; do
		s0=$(daemon_stats allow)
		expect_ok "$e through imprint-runc (through imprintd), $busy, start $n" \
			engine_start "$e" "$e" "$busy" /bin/true "tamper-ok-$n"
	done
	expect_lookup "the second $e start of $busy" allow "$s0" hit
	log "  ok: $busy in $e's store is in imprintd's cache (the second start hit it)"
	flip_byte "$file"
	for c in "$e" "$e-paranoid"; do
		n0=$(count_verdict "$c" refused)
		s0=$(daemon_stats allow)
		expect_fail "$e through imprint-runc (${MODE_LABEL[$c]}), $busy with one byte of $rel changed, must be refused" \
			engine_start "$e" "$c" "$busy" /bin/true "tamper-bad-$c"
		grep -q "imprint: refused" "$WORK/err" ||
			{ flip_byte "$file"; cat "$WORK/err" >&2; die "check failed: $e (${MODE_LABEL[$c]}): not imprint's refusal"; }
		engine_clean "$e"
		[ $(($(count_verdict "$c" refused) - n0)) -eq 1 ] ||
			{ flip_byte "$file"; die "check failed: $e (${MODE_LABEL[$c]}): not one refusal logged for the tampered $busy"; }
		log "  ok: $e through imprint-runc (${MODE_LABEL[$c]}), $busy with one byte of $rel changed: refused"
		expect_daemon "$e through imprint-runc (${MODE_LABEL[$c]}), $busy with one byte changed" "$c" "$s0"
	done
	flip_byte "$file"
	expect_ok "$e through imprint-runc (through imprintd), $busy with the byte restored" \
		engine_start "$e" "$e" "$busy" /bin/true tamper-ok-3
	log "  ok: $e through imprint-runc (through imprintd), $busy with the byte restored: allowed again"
}

checks() {
	local img e
	log "checks: imprint really verifies, really refuses, and asks imprintd when it should"
	for img in "${IMGS[@]}"; do
		! has podman || checks_podman "$img"
		! has runc || checks_runc "$img"
		for e in docker containerd; do
			! has "$e" || checks_engine "$e" "$img"
		done
	done
	stop_daemon deny
	! has podman || tamper_podman
	! has runc || tamper_runc
	for e in docker containerd; do
		! has "$e" || tamper_engine "$e"
	done
}

# --- timing ----------------------------------------------------------------------------------------

declare -A GROUP_OF=(
	[podman]="podman podman-hook podman-paranoid"
	[runc]="runc imprint-runc imprint-runc-paranoid"
	[docker]="docker docker-floor docker-imprint docker-paranoid"
	[containerd]="containerd containerd-floor containerd-imprint containerd-paranoid"
)
declare -A VIA=([podman]=podman-hook [runc]=imprint-runc [docker]=docker-imprint [containerd]=containerd-imprint)
declare -A PAR=([podman]=podman-paranoid [runc]=imprint-runc-paranoid [docker]=docker-paranoid
	[containerd]=containerd-paranoid)
declare -A LABEL=(
	[podman]="podman run, no hook"
	[podman-hook]="podman run, hook through imprintd"
	[podman-paranoid]="podman run, hook --paranoid"
	[runc]="runc run"
	[imprint-runc]="imprint-runc run, through imprintd"
	[imprint-runc-paranoid]="imprint-runc run, IMPRINT_PARANOID=1"
	[docker]="docker run, runc"
	[docker-floor]="docker run, wrapper that only execs runc"
	[docker-imprint]="docker run, imprint-runc via imprintd"
	[docker-paranoid]="docker run, imprint-runc paranoid"
	[containerd]="ctr run, runc"
	[containerd-floor]="ctr run, wrapper that only execs runc"
	[containerd-imprint]="ctr run, imprint-runc via imprintd"
	[containerd-paranoid]="ctr run, imprint-runc paranoid"
)
declare -A BASE=([podman-hook]=podman [podman-paranoid]=podman [imprint-runc]=runc [imprint-runc-paranoid]=runc
	[docker-imprint]=docker [docker-paranoid]=docker [containerd-imprint]=containerd [containerd-paranoid]=containerd
	[docker-floor]=docker [containerd-floor]=containerd)
# the floor of any runtime wrapper: a program that only execs runc (FLOOR, built in setup)
declare -A FLOOR_OF=([docker]=docker-floor [containerd]=containerd-floor)
declare -A CONF_OF=([podman-hook]=allow [podman-paranoid]=paranoid [imprint-runc]=allow [imprint-runc-paranoid]=paranoid
	[docker-imprint]=docker [docker-paranoid]=docker-paranoid
	[containerd-imprint]=containerd [containerd-paranoid]=containerd-paranoid)
declare -A EVENT_OF=([podman-hook]=hook [podman-paranoid]=hook)
ENGINE_GROUPS=() VARIANTS=()
for e in "${ENGS[@]}"; do
	ENGINE_GROUPS+=("${GROUP_OF[$e]}")
	read -r -a g <<<"${GROUP_OF[$e]}"
	VARIANTS+=("${g[@]}")
done
is_via() { [[ " ${VIA[*]} " == *" $1 "* ]]; }

declare -A T E       # key "IMAGE|VARIANT": wall times / decision times (elapsedUs), in us, space-separated
declare -A HITS MISSES EVENTS NOHIT # key "IMAGE|VARIANT": imprintd's figures during the timed runs
LAST_STATS=""

# start_argv IMAGE VARIANT TAG: CMD is one start of IMAGE the VARIANT way (TAG makes IDs unique).
start_argv() {
	local img=$1 v=$2 tag=$3 c=${CONF_OF[$2]:-}
	case $v in
	podman) CMD=(pmrun "$STORE" "$RUNROOT" "$CONF/nohooks" "localhost/imprint-bench/$img:latest" /bin/true) ;;
	podman-*) CMD=(pmrun "$STORE" "$RUNROOT" "$CONF/$c/hooks" "localhost/imprint-bench/$img:latest" /bin/true) ;;
	runc) CMD=("$RUNC" run -b "$BUNDLES/$img" "$(runc_id "$img" "runc-$tag")") ;;
	imprint-runc*) CMD=(imprint_runc "$c" run -b "$BUNDLES/$img" "$(runc_id "$img" "timed-$c-$tag")") ;;
	docker) CMD=(dk run --rm --network none --entrypoint /bin/true "localhost/$img:latest") ;;
	docker-floor) CMD=(dk run --rm --network none --runtime exec-only --entrypoint /bin/true "localhost/$img:latest") ;;
	containerd-floor) CMD=(ctr_run "$FLOOR" "localhost/$img:latest" "$(runc_id "$img" "floor-$tag")" /bin/true) ;;
	docker-*) CMD=(dk run --rm --network none --runtime "${DOCKER_RT[$c]}" --entrypoint /bin/true "localhost/$img:latest") ;;
	containerd) CMD=(ctr_run "" "localhost/$img:latest" "$(runc_id "$img" "ctr-$tag")" /bin/true) ;;
	containerd-*) CMD=(ctr_run "${CTR_RT[$c]}" "localhost/$img:latest" "$(runc_id "$img" "$c-$tag")" /bin/true) ;;
	esac
}

# run_cmd STDIN DESC: run CMD once with STDIN (its output in $WORK/out and $WORK/err); DT is its
# wall time in us. A failure stops the bench, saying DESC.
run_cmd() {
	local t0 t1
	t0=${EPOCHREALTIME/./}
	"${CMD[@]}" <"$1" >"$WORK/out" 2>"$WORK/err" ||
		{ tail -n 20 "$WORK/err" >&2; die "$2: '${CMD[*]}' failed"; }
	t1=${EPOCHREALTIME/./}
	DT=$((t1 - t0))
}

# timed IMAGE VARIANT R: run VARIANT once on IMAGE and add its wall time to T. Outside the timed
# part: the decision time from the audit log's last line to E, and what imprintd did meanwhile
# (its status after the previous start and after this one) to HITS, MISSES, EVENTS.
timed() {
	local img=$1 v=$2 r=$3 after c=${CONF_OF[$2]:-}
	local -a d
	start_argv "$img" "$v" "$r"
	run_cmd /dev/null "$img, $v, run $r"
	T[$img|$v]+="$DT "
	[ -z "$c" ] || E[$img|$v]+="$(tail -n 1 "$CONF/$c/audit.jsonl" | jq -r .elapsedUs) "
	after=$(daemon_stats allow)
	read -r -a d <<<"$(stats_delta "$LAST_STATS" "$after")"
	LAST_STATS=$after
	HITS[$img|$v]=$((${HITS[$img|$v]:-0} + d[0]))
	MISSES[$img|$v]=$((${MISSES[$img|$v]:-0} + d[1]))
	EVENTS[$img|$v]=$((${EVENTS[$img|$v]:-0} + d[3]))
	[ "${d[0]}" -gt 0 ] || NOHIT[$img|$v]=$((${NOHIT[$img|$v]:-0} + 1))
}

declare -A MEM # "start", "warm", "timed", "cold": "VMRSS_KB VMHWM_KB"
warm_up() {
	local img g v
	log "warm-up: every image started every way once (untimed), so imprintd has every layer cached"
	for img in "${IMGS[@]}"; do
		for g in "${ENGINE_GROUPS[@]}"; do
			for v in $g; do timed "$img" "$v" 0; done
		done
	done
	T=() E=() HITS=() MISSES=() EVENTS=() NOHIT=()
}

STATS_T0="" STATS_T1="" # imprintd's status before and after the timed rounds
bench() {
	local r img g v k c
	local -a grp
	local -A n0
	for img in "${IMGS[@]}"; do
		for v in "${VARIANTS[@]}"; do
			c=${CONF_OF[$v]:-}
			[ -z "$c" ] || n0[$img|$v]=$(count_verdict "$c" allowed "${EVENT_OF[$v]:-runtime}" "$img")
		done
	done
	log "timing: $RUNS rounds; each round starts every image every way, rotating which of a group goes first"
	STATS_T0=$(daemon_stats allow)
	LAST_STATS=$STATS_T0
	for ((r = 1; r <= RUNS; r++)); do
		for img in "${IMGS[@]}"; do
			for g in "${ENGINE_GROUPS[@]}"; do
				read -r -a grp <<<"$g"
				for ((k = 0; k < ${#grp[@]}; k++)); do
					timed "$img" "${grp[$(((k + r) % ${#grp[@]}))]}" "$r"
				done
			done
		done
		log "  round $r/$RUNS done"
	done
	STATS_T1=$(daemon_stats allow)

	log "checks on the timed runs"
	for img in "${IMGS[@]}"; do
		for v in "${VARIANTS[@]}"; do
			# Every timed imprint start left exactly one "allowed" verdict for the image.
			c=${CONF_OF[$v]:-}
			if [ -n "$c" ]; then
				expect_count "$img, ${LABEL[$v]}: $RUNS allowed verdicts during the timed runs" \
					$(($(count_verdict "$c" allowed "${EVENT_OF[$v]:-runtime}" "$img") - n0[$img|$v])) "$RUNS"
			fi
			# imprintd answered every start through it from its cache, and nothing else asked it.
			if is_via "$v"; then
				[ "${NOHIT[$img|$v]:-0}" -eq 0 ] ||
					die "check failed: $img, ${LABEL[$v]}: ${NOHIT[$img|$v]} of $RUNS timed starts had no imprintd cache hit"
				log "  ok: $img, ${LABEL[$v]}: every timed start hit imprintd's cache (hits +${HITS[$img|$v]}, misses +${MISSES[$img|$v]})"
			else
				[ $((HITS[$img|$v] + MISSES[$img|$v])) -eq 0 ] ||
					die "check failed: $img, ${LABEL[$v]}: imprintd looked up layers during these starts (hits +${HITS[$img|$v]}, misses +${MISSES[$img|$v]})"
				log "  ok: $img, ${LABEL[$v]}: imprintd not asked"
			fi
		done
	done
	# The baselines left no verdict at all: every configuration's lines are accounted for above.
}

# --- the first start after a pull ---------------------------------------------------------------------

# fp_argv ENGINE IMAGE: FPCMDS holds `imprint fingerprint` of the image as ENGINE stores it, one
# command per line (containerd: one per snapshot directory, which has no image source of its own).
fp_argv() {
	local d
	FPCMDS=()
	case $1 in
	podman) FPCMDS=("--storage-root $STORE containers-storage:localhost/imprint-bench/$2:latest") ;;
	runc) FPCMDS=("dir:$BUNDLES/$2/rootfs") ;;
	docker) FPCMDS=("--storage-root $D_ROOT docker-storage:localhost/$2:latest") ;;
	containerd) for d in ${CLAYERS[$2]}; do FPCMDS+=("dir:$d"); done ;;
	oci) FPCMDS=("oci:$IMAGES/$2:latest") ;;
	esac
}
declare -A FPSRC=([podman]="containers-storage:" [runc]="dir: (bundle rootfs)" [docker]="docker-storage:"
	[containerd]="dir: (each snapshot)" [oci]="oci: (layout, gzip)")
declare -A CLAYERS # containerd's snapshot directories of each image, top first
declare -A FT FE FP # "IMAGE|ENGINE": first-start wall times, decisions; fingerprint times (us)

# fp_time ENGINE IMAGE: time `imprint fingerprint` of the image's stored layers into FP; the root
# digest must be the policy's (when one command covers the whole image).
fp_time() {
	local e=$1 img=$2 t0 t1 cmd root
	fp_argv "$e" "$img"
	t0=${EPOCHREALTIME/./}
	for cmd in "${FPCMDS[@]}"; do
		# shellcheck disable=SC2086
		"$IMPRINT" fingerprint $cmd >"$WORK/fp.json" 2>"$WORK/err" ||
			{ cat "$WORK/err" >&2; die "imprint fingerprint $cmd failed"; }
	done
	t1=${EPOCHREALTIME/./}
	FP[$img|$e]+="$((t1 - t0)) "
	if [ "${#FPCMDS[@]}" -eq 1 ]; then
		root=$(jq -r .rootDigest "$WORK/fp.json")
		[ "$root" = "${ROOT_DIGEST[$img]}" ] ||
			die "check failed: imprint fingerprint ${FPCMDS[0]}: root digest $root, the policy says ${ROOT_DIGEST[$img]}"
	fi
}

# What the first start of an image costs when imprintd has not seen it (the first start after a
# pull, or after imprintd restarted): a fresh imprintd (empty cache) per repetition, then one start
# of each image through each engine's imprintd way (each engine stores its own layer directories,
# so each is a miss), then `imprint fingerprint` of each image as each engine stores it.
first_start() {
	local k img e v s0 c
	log "first start: $FIRST_RUNS x (fresh imprintd; each image through each engine once; imprint fingerprint of each)"
	if has containerd; then
		for img in "${IMGS[@]}"; do CLAYERS[$img]=$(ctr_layer_dirs "$img" | tr '\n' ' '); done
	fi
	stop_daemon allow
	for ((k = 1; k <= FIRST_RUNS; k++)); do
		start_daemon allow
		for img in "${IMGS[@]}"; do
			for e in "${ENGS[@]}"; do
				v=${VIA[$e]} c=${CONF_OF[${VIA[$e]}]}
				s0=$(daemon_stats allow)
				start_argv "$img" "$v" "first-$k"
				run_cmd /dev/null "first start of $img, $v"
				FT[$img|$e]+="$DT "
				FE[$img|$e]+="$(tail -n 1 "$CONF/$c/audit.jsonl" | jq -r .elapsedUs) "
				[ "$(tail -n 1 "$CONF/$c/audit.jsonl" | jq -r '"\(.verdict) \(.digests.root)"')" = "allowed ${ROOT_DIGEST[$img]}" ] ||
					die "check failed: first start of $img through $e: the audit log does not say allowed"
				expect_lookup "first start of $img through $e" allow "$s0" miss
			done
		done
		stop_daemon allow
		for img in "${IMGS[@]}"; do
			for e in "${ENGS[@]}" oci; do fp_time "$e" "$img"; done
		done
		log "  repetition $k/$FIRST_RUNS done"
	done
	log "  ok: every first start was allowed and a cache miss; every fingerprint had the policy's root digest"
}

# --- a never-seen image -----------------------------------------------------------------------------

# cold_hook KEY CONF: time `imprint hook` of CONF on the created container of COLD_IMG, once, into
# T[cold|KEY] and E[cold|KEY]; its verdict must be "allowed". With imprintd, check the lookup was a
# miss (KEY *-miss) or a hit (KEY hit) and nothing else.
cold_hook() {
	local key=$1 c=$2 s0 line
	[ -z "${SOCKET[$c]}" ] || s0=$(daemon_stats "$c")
	hook_argv "$c"
	run_cmd "$WORK/state-$COLD_IMG.json" "never-seen $COLD_IMG, $key"
	line=$(tail -n 1 "$CONF/$c/audit.jsonl")
	[ "$(jq -r '"\(.verdict) \(.digests.config)"' <<<"$line")" = "allowed sha256:${IMAGE_ID[$COLD_IMG]}" ] ||
		die "check failed: never-seen $COLD_IMG, $key: the audit log does not say allowed: $line"
	T[cold|$key]+="$DT "
	E[cold|$key]+="$(jq -r .elapsedUs <<<"$line") "
	if [ -n "${SOCKET[$c]}" ]; then
		expect_lookup "never-seen $COLD_IMG, $key" "$c" "$s0" "${key##*-}"
	fi
}

COLD_KEYS=(cold-miss hit warm-miss paranoid-cold paranoid-warm)
declare -A COLD_LABEL=(
	[cold-miss]="fresh imprintd, page cache dropped"
	[hit]="the same imprintd again (cache hit)"
	[warm-miss]="fresh imprintd, page cache warm"
	[paranoid-cold]="--paranoid, page cache dropped"
	[paranoid-warm]="--paranoid, page cache warm"
)
never_seen() {
	local k
	log "never-seen $COLD_IMG: $COLD_RUNS x (fresh imprintd + drop_caches, again, fresh imprintd, paranoid x2)"
	for ((k = 1; k <= COLD_RUNS; k++)); do
		start_daemon cold
		drop_caches
		cold_hook cold-miss cold
		cold_hook hit cold
		stop_daemon cold
		start_daemon cold
		cold_hook warm-miss cold
		MEM[cold]=$(daemon_mem cold)
		stop_daemon cold
		drop_caches
		cold_hook paranoid-cold cold-paranoid
		cold_hook paranoid-warm cold-paranoid
		log "  repetition $k/$COLD_RUNS done"
	done
	log "  ok: every never-seen run allowed $COLD_IMG; imprintd missed when fresh and hit after"
}

# --- report ----------------------------------------------------------------------------------------

# stat_us "US US ...": "MEDIAN_MS P90_MS MIN_MS MAX_MS" (p90: nearest rank).
stat_us() {
	tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		k = int(0.9 * NR); if (k < 0.9 * NR) k++
		printf "%.1f %.1f %.1f %.1f", m / 1000, v[k] / 1000, v[1] / 1000, v[NR] / 1000 }'
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
# paired_pct IMAGE VARIANT: the median over the rounds of (VARIANT / its baseline in the same
# round - 1), in % (the i-th time of each is from round i): less moved by load that drifts.
paired_pct() {
	paste -d' ' <(tr ' ' '\n' <<<"${T[$1|$2]}" | grep .) <(tr ' ' '\n' <<<"${T[$1|${BASE[$2]}]}" | grep .) |
		awk '{ printf "%.6f\n", ($1 / $2 - 1) * 100 }' | sort -g |
		awk '{ v[NR] = $1 } END { printf "%+.1f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# ratio_pct HITS MISSES: the hit ratio in %, one decimal ("-" when there was no lookup).
ratio_pct() { awk -v h="$1" -v m="$2" 'BEGIN { if (h + m == 0) print "-"; else printf "%.1f", 100 * h / (h + m) }'; }
hit_verdict() { awk -v r="$1" -v t="$HIT_TARGET" 'BEGIN { if (r == "-") print "-"; else print (r >= t ? "PASS" : "FAIL") }'; }

declare -A MED
# target IMAGE VARIANT: the target verdict of a start through imprintd, "" for the others; for
# imprint-runc of a bare bundle in parentheses (reference only: runc alone starts in ~50 ms).
target() {
	local img=$1 v=$2 pct
	is_via "$v" || return 0
	pct=$(awk -v a="${MED[$img|$v]}" -v b="${MED[$img|${BASE[$v]}]}" 'BEGIN { printf "%+.1f", (a / b - 1) * 100 }')
	awk -v p="$pct" -v t="$TARGET_PCT" -v ref="$([ "$v" = imprint-runc ] && echo 1)" 'BEGIN {
		s = sprintf("%s%% vs <=%d%%: %s", p, t, p <= t ? "PASS" : "FAIL")
		print ref ? "(" s ")" : s }'
}

# floor_note IMAGE ENGINE: "; floor +X%" (what a wrapper that only execs runc adds, the same
# measure as the target's), or nothing for an engine without one.
floor_note() {
	local f=${FLOOR_OF[$2]:-}
	[ -n "$f" ] || return 0
	awk -v a="${MED[$1|$f]}" -v b="${MED[$1|$2]}" 'BEGIN { printf "; floor %+.1f%%", 100 * (a - b) / b }'
}

report() {
	local img v e med p90 min max bmed over ratio dmed mem key dv pv h m r fmed fdec fpmed added paired
	local -a d
	echo
	echo "imprint start-up benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "imprint: $IMPRINT ($("$IMPRINT" --version 2>/dev/null | head -n 1 || echo '?'))"
	echo "engines: ${ENGS[*]}; $("$RUNC" --version | head -n 1)"
	if has podman; then
		echo "podman $(podman version --format '{{.Client.Version}}' 2>/dev/null || echo '?')" \
			"(runtime $(podman_at "$STORE" "$RUNROOT" info --format '{{.Host.OCIRuntime.Name}}' 2>/dev/null || echo '?')," \
			"storage driver overlay)"
	fi
	! has docker || echo "dockerd $(dk version --format '{{.Server.Version}}' 2>/dev/null || echo '?') (private, storage driver overlay2)"
	! has containerd || echo "containerd $(containerd --version | awk '{ print $3 }') (private, snapshotter overlayfs)"
	echo "host: $(uname -r), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 2^20 }' /proc/meminfo) RAM," \
		"$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "load average: $LOAD0 at start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
	echo
	echo "$RUNS runs of each command and image, interleaved, after one untimed warm-up start of each;"
	echo "wall time per start in ms. imprintd runs throughout (also during the starts without imprint)."
	echo "overhead = median - the baseline's median (the same engine with its own runc); ratio = median /"
	echo "the baseline's median; paired = median over the rounds of (time / the baseline's time in the"
	echo "same round - 1), less moved by load that drifts. decision = median of the audit log's elapsedUs"
	echo "(imprint's own time)."
	echo "target: what the start through imprintd adds to the engine's median, in % (for imprint-runc of"
	echo "a bare bundle, in parentheses, the same bound for reference only)."
	for img in "${IMGS[@]}"; do
		echo
		printf '== %s: %s regular files, %s MiB unpacked (image %.12s)\n' "$img" "${NFILES[$img]}" \
			"$(awk -v b="${BYTES[$img]}" 'BEGIN { printf "%.1f", b / 2^20 }')" "${IMAGE_ID[$img]}"
		printf '   %-37s %7s %7s %7s %9s %6s %7s %8s  %s\n' "start-up path" median p90 min overhead ratio paired decision target
		for v in "${VARIANTS[@]}"; do
			read -r med p90 min max <<<"$(stat_us "${T[$img|$v]}")"
			MED[$img|$v]=$med
			over="" ratio="" dmed="" paired=""
			if [ -n "${BASE[$v]:-}" ]; then
				bmed=${MED[$img|${BASE[$v]}]}
				over=$(awk -v a="$med" -v b="$bmed" 'BEGIN { printf "%+.1f", a - b }')
				ratio=$(awk -v a="$med" -v b="$bmed" 'BEGIN { printf "%.2f", a / b }')
				paired=$(paired_pct "$img" "$v")%
				# (a way without imprint, the floor, has no decision)
				[ -z "${CONF_OF[$v]:-}" ] || read -r dmed _ <<<"$(stat_us "${E[$img|$v]}")"
			fi
			printf '   %-37s %7.1f %7.1f %7.1f %9s %6s %7s %8s  %s\n' "${LABEL[$v]}" "$med" "$p90" "$min" \
				"$over" "$ratio" "$paired" "$dmed" "$(target "$img" "$v")"
		done
	done

	echo
	echo "== imprintd during the timed runs (cache lookups, and filesystem events it read per start)"
	printf '   %-10s %-37s %6s %7s %9s %13s\n' image "start-up path" hits misses "hit ratio" "events/start"
	for img in "${IMGS[@]}"; do
		for v in "${VARIANTS[@]}"; do
			printf '   %-10s %-37s %6d %7d %9s %13.0f\n' "$img" "${LABEL[$v]}" "${HITS[$img|$v]}" "${MISSES[$img|$v]}" \
				"$(ratio_pct "${HITS[$img|$v]}" "${MISSES[$img|$v]}")" \
				"$(awk -v e="${EVENTS[$img|$v]}" -v n="$RUNS" 'BEGIN { print e / n }')"
		done
	done

	echo
	echo "== imprintd's cache hit ratio over the timed starts (target >= ${HIT_TARGET}%)"
	read -r -a d <<<"$(stats_delta "$STATS_T0" "$STATS_T1")"
	r=$(ratio_pct "${d[0]}" "${d[1]}")
	printf '   %-46s %6s %7s %9s  %s\n' "" hits misses "hit ratio" target
	printf '   %-46s %6d %7d %8s%%  %s\n' "all timed starts (imprint status before/after)" "${d[0]}" "${d[1]}" "$r" "$(hit_verdict "$r")"
	for e in "${ENGS[@]}"; do
		v=${VIA[$e]} h=0 m=0
		for img in "${IMGS[@]}"; do h=$((h + HITS[$img|$v])) m=$((m + MISSES[$img|$v])); done
		r=$(ratio_pct "$h" "$m")
		printf '   %-46s %6d %7d %8s%%  %s\n' "${LABEL[$v]}" "$h" "$m" "$r" "$(hit_verdict "$r")"
	done

	echo
	echo "== imprintd memory (/proc/PID/status, MiB)"
	printf '   %-64s %7s %7s\n' "" VmRSS VmHWM
	for key in start warm timed; do
		read -r -a mem <<<"${MEM[$key]}"
		printf '   %-64s %7s %7s\n' "$(case $key in
			start) echo "started, nothing cached" ;;
			warm) echo "after the checks and warm-up ($LAYERS_WARM layers cached)" ;;
			timed) echo "after the timed runs ($LAYERS_TIMED layers cached)" ;;
			esac)" "$(mib "${mem[0]}")" "$(mib "${mem[1]}")"
	done
	if has podman; then
		read -r -a mem <<<"${MEM[cold]}"
		printf '   %-64s %7s %7s\n' "a fresh imprintd after verifying $COLD_IMG once (last repetition)" \
			"$(mib "${mem[0]}")" "$(mib "${mem[1]}")"
	fi

	echo
	echo "== the first start after a pull: a fresh imprintd (empty cache) before each of $FIRST_RUNS repetitions,"
	echo "   page cache warm; medians, ms. added = first start - the engine's warm median with its own runc;"
	echo "   miss = first start - the warm median through imprintd (what the empty cache costs);"
	echo "   target: added <= \`imprint fingerprint\` of the image as that engine stores it."
	printf '   %-9s %-10s %8s %8s %8s %8s %8s  %-22s %9s  %s\n' image engine first decision without added miss \
		"fingerprint source" "fp time" target
	for img in "${IMGS[@]}"; do
		for e in "${ENGS[@]}"; do
			read -r fmed _ <<<"$(stat_us "${FT[$img|$e]}")"
			read -r fdec _ <<<"$(stat_us "${FE[$img|$e]}")"
			read -r fpmed _ <<<"$(stat_us "${FP[$img|$e]}")"
			bmed=${MED[$img|$e]}
			added=$(awk -v a="$fmed" -v b="$bmed" 'BEGIN { printf "%+.1f", a - b }')
			printf '   %-9s %-10s %8.1f %8.1f %8.1f %8s %8s  %-22s %9.1f  %s\n' "$img" "$e" "$fmed" "$fdec" "$bmed" "$added" \
				"$(awk -v a="$fmed" -v b="${MED[$img|${VIA[$e]}]}" 'BEGIN { printf "%+.1f", a - b }')" \
				"${FPSRC[$e]}" "$fpmed" "$(awk -v a="$added" -v f="$fpmed" 'BEGIN { print (a <= f ? "PASS" : "FAIL") }')"
		done
		read -r fpmed _ <<<"$(stat_us "${FP[$img|oci]}")"
		printf '   %-9s %-10s %8s %8s %8s %8s %8s  %-22s %9.1f  %s\n' "$img" "" "" "" "" "" "" "${FPSRC[oci]}" "$fpmed" "(reference)"
	done

	if has podman; then
		echo
		echo "== a never-seen image: \`imprint hook\` by hand on a created $COLD_IMG container, $COLD_RUNS repetitions"
		echo "   (wall time of the hook process, and decision = elapsedUs; ms)"
		printf '   %-40s %7s %7s %7s %9s\n' "" median min max decision
		for key in "${COLD_KEYS[@]}"; do
			read -r med p90 min max <<<"$(stat_us "${T[cold|$key]}")"
			read -r dmed _ <<<"$(stat_us "${E[cold|$key]}")"
			printf '   %-40s %7.1f %7.1f %7.1f %9.1f\n' "${COLD_LABEL[$key]}" "$med" "$min" "$max" "$dmed"
		done
	fi

	echo
	echo "== summary (medians, ms; overhead and ratio vs the same engine with its own runc)"
	printf '   %-9s %-10s %8s  %9s %7s %6s  %9s %7s %6s  %s\n' "" "" "" "imprintd" "" "" paranoid "" "" ""
	printf '   %-9s %-10s %8s  %9s %7s %6s  %9s %7s %6s  %s\n' image engine without "with" overhead ratio \
		"with" overhead ratio "target (imprintd)"
	for img in "${IMGS[@]}"; do
		for e in "${ENGS[@]}"; do
			dv=${VIA[$e]} pv=${PAR[$e]}
			bmed=${MED[$img|$e]}
			printf '   %-9s %-10s %8.1f  %9.1f %+7.1f %6.2f  %9.1f %+7.1f %6.2f  %s\n' "$img" "$e" "$bmed" \
				"${MED[$img|$dv]}" "$(awk -v a="${MED[$img|$dv]}" -v b="$bmed" 'BEGIN { print a - b }')" \
				"$(awk -v a="${MED[$img|$dv]}" -v b="$bmed" 'BEGIN { print a / b }')" \
				"${MED[$img|$pv]}" "$(awk -v a="${MED[$img|$pv]}" -v b="$bmed" 'BEGIN { print a - b }')" \
				"$(awk -v a="${MED[$img|$pv]}" -v b="$bmed" 'BEGIN { print a / b }')" \
				"$(target "$img" "$dv") (paired $(paired_pct "$img" "$dv")%$(floor_note "$img" "$e"))"
		done
	done
	! has podman || {
		echo "   podman: podman run --rm --network none --ulimit ... --entrypoint /bin/true IMAGE, --hooks-dir empty"
		echo "     or holding imprint.json (imprint-hook --socket SOCK, or --paranoid: then imprint hook)."
	}
	! has runc || echo "   runc: runc run vs imprint-runc run of a umoci bundle (IMPRINT_SOCKET=SOCK, or IMPRINT_PARANOID=1)."
	! has docker || {
		echo "   docker: docker run --rm --network none --entrypoint /bin/true IMAGE, vs --runtime imprint"
		echo "     (imprint-runc, IMPRINT_SOCKET=SOCK in dockerd's environment) or imprint-paranoid (runtimeArgs)."
	}
	! has containerd || {
		echo "   containerd: ctr run --rm IMAGE ID /bin/true, vs --runc-binary imprint-runc (IMPRINT_SOCKET=SOCK in"
		echo "     containerd's environment) or a script that execs it with --imprint-paranoid=yes."
	}
	! has docker && ! has containerd ||
		echo "   floor: the same start through a wrapper that only execs runc (the least any wrapper adds)."
}

# --- main ------------------------------------------------------------------------------------------

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
setup
! has podman || create_hook_containers
start_daemon allow
start_daemon deny
MEM[start]=$(daemon_mem allow)
checks
LAST_STATS=$(daemon_stats allow)
warm_up
MEM[warm]=$(daemon_mem allow)
LAYERS_WARM=$(daemon_stats allow | cut -d' ' -f5)
bench
MEM[timed]=$(daemon_mem allow)
LAYERS_TIMED=$(daemon_stats allow | cut -d' ' -f5)
first_start
! has podman || never_seen
remove_hook_containers
report | tee "$WORK/report.txt"
log "report saved to $WORK/report.txt"
