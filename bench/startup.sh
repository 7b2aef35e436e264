#!/usr/bin/env bash
# bench/startup.sh: what imprint's verification adds to a container's start-up, with imprintd's
# verified-layer cache (the default) and without it (--paranoid: every layer re-hashed at every
# start). The same images are started every way in one run, the runs interleaved, and the overhead
# and ratio against the start without imprint printed:
#
#   podman run --rm --network none ... --entrypoint /bin/true IMAGE
#       without a hook / with `imprint hook --socket SOCK` (asks imprintd) / `imprint hook --paranoid`
#   runc run -b BUNDLE ID
#       runc / imprint-runc with IMPRINT_SOCKET=SOCK / imprint-runc with IMPRINT_PARANOID=1
#
# then imprintd's memory (VmRSS, VmHWM), and one `imprint hook` on a created container of an image
# imprintd has never seen: through a fresh imprintd after dropping the page cache (cold), through a
# fresh imprintd with the page cache warm (cache miss), through that imprintd again (cache hit),
# and with --paranoid (page cache dropped, and warm).
#
# Environment:
#   IMPRINT          imprint binary            (default: build/imprint in the repository)
#   IMAGES           OCI layouts from tests/lib/mkimages.sh (default: /var/tmp/imprint-test-images)
#   BENCH_IMAGES     the layouts to start      (default: "busybox debian")
#   BENCH_WORK       scratch space; the private podman store is kept here between runs
#                                              (default: /var/tmp/imprint-bench; this script uses
#                                              its subdirectory startup/)
#   BENCH_RUNS       timed runs per command and image (default: 30)
#   BENCH_COLD_IMAGE the never-seen image      (default: debian; one of BENCH_IMAGES)
#   BENCH_COLD_RUNS  repetitions of the never-seen measurements (default: 5)
#
# Targets (printed next to the results): the hook through imprintd adds at most 5% (busybox) and
# 10% (debian) to the median of podman run without a hook.
#
# Must run as root (podman and runc with a private store, umoci unpack, fanotify, drop_caches).
# Exit status: 0 when every command ran and every check passed, whether or not the targets are met;
# 2 when a command failed, a tool is missing, or a check showed that imprint did not verify (or
# did not refuse), or that imprintd was not used when it should have been, or was when it should not.
set -euo pipefail
export LC_ALL=C

top=$(cd "$(dirname "$0")/.." && pwd)
IMPRINT=${IMPRINT:-$top/build/imprint}
IMAGES=${IMAGES:-/var/tmp/imprint-test-images}
BENCH_IMAGES=${BENCH_IMAGES:-busybox debian}
WORK=${BENCH_WORK:-/var/tmp/imprint-bench}/startup
RUNS=${BENCH_RUNS:-30}
COLD_IMG=${BENCH_COLD_IMAGE:-debian}
COLD_RUNS=${BENCH_COLD_RUNS:-5}
declare -A TARGET_PCT=([busybox]=5 [debian]=10) # most the hook through imprintd may add to podman run

case "${1:-}" in
"") ;;
-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
*) echo "bench: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

log() { echo "bench: $*" >&2; }
die() { echo "bench: error: $*" >&2; exit 2; }

# --- preflight -----------------------------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || die "run as root (podman and runc with a private store, umoci unpack, fanotify)"
case "$IMPRINT" in /*) ;; *) IMPRINT=$PWD/$IMPRINT ;; esac
[ -x "$IMPRINT" ] || die "imprint binary not found at $IMPRINT (build it with scripts/build.sh, or set IMPRINT=)"
for tool in podman runc umoci jq awk find du od dd; do
	command -v "$tool" >/dev/null || die "$tool is not installed (see scripts/packages.txt)"
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, not '$RUNS'"
[[ $COLD_RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_COLD_RUNS must be a positive integer, not '$COLD_RUNS'"
read -r -a IMGS <<<"$BENCH_IMAGES"
[ "${#IMGS[@]}" -gt 0 ] || die "BENCH_IMAGES is empty"
for img in "${IMGS[@]}"; do
	[[ $img =~ ^[a-z0-9][a-z0-9._-]*$ ]] || die "BENCH_IMAGES: '$img' is not a plain layout name"
	[ -f "$IMAGES/$img/index.json" ] || die "no OCI layout at $IMAGES/$img (tests/lib/mkimages.sh builds them)"
done
[[ " ${IMGS[*]} " == *" $COLD_IMG "* ]] || die "BENCH_COLD_IMAGE '$COLD_IMG' is not one of BENCH_IMAGES"
[ -w /proc/sys/vm/drop_caches ] || die "cannot write /proc/sys/vm/drop_caches (the cold measurements need it)"
RUNC=$(command -v runc)
# What imprint reads from the environment is set per command below, never inherited.
unset IMPRINT_POLICY_DIR IMPRINT_KEYS_DIR IMPRINT_STATE_DIR IMPRINT_FINGERPRINT_DIR IMPRINT_AUDIT_LOG \
	IMPRINT_RUNTIME IMPRINT_MODE IMPRINT_STORAGE_ROOT IMPRINT_SOCKET IMPRINT_PARANOID
mkdir -p "$WORK"

# Layout of WORK:
#   store/ run/           the private podman store (kept between runs; `podman pull` is idempotent)
#   tamper-store/ -run/   a second store whose busybox layer gets a byte changed (rebuilt each run)
#   conf/                 keys, policies, state, audit logs, hooks dirs (rebuilt each run)
#   sock/                 imprintd's sockets; imprintd-NAME.log their stderr
#   bundles/              umoci bundles for runc (rebuilt each run)
#   bin/imprint-runc      symlink to IMPRINT
STORE=$WORK/store RUNROOT=$WORK/run
TSTORE=$WORK/tamper-store TRUNROOT=$WORK/tamper-run
CONF=$WORK/conf BUNDLES=$WORK/bundles SOCKS=$WORK/sock
ULIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=4096:4096)
[ "${#SOCKS}" -le 95 ] || die "BENCH_WORK is too long for a unix socket path below it ($SOCKS)"

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

# A directory tree under WORK must not hold mounts before it is deleted.
safe_rm() {
	local d
	for d in "$@"; do
		if findmnt -rn -o TARGET | grep -qF -- "$d"; then
			die "$d still has mounts (findmnt | grep $d); unmount them first"
		fi
		rm -rf -- "$d"
	done
}

# A podman start that a hook refuses leaves the store's overlay/ bind mount behind (podman 4.3;
# the next successful start in that store would remove it). Only the tamper store sees refusals last.
unmount_tamper_store() {
	if mountpoint -q "$TSTORE/overlay"; then umount "$TSTORE/overlay"; fi
}

drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }

# --- imprint configurations and imprintd --------------------------------------------------------------

# A configuration NAME is CONF/NAME/{policy.d,state,audit.jsonl,hooks/imprint.json}, trusting
# CONF/keys, and a mode: SOCKET[NAME] is the imprintd socket its hook and imprint-runc ask first,
# or empty for paranoid (never ask imprintd). Each imprintd serves one configuration, with that
# configuration's policy: a hook's own --policy-dir does not count when imprintd answers.
declare -A SOCKET
# hook_argv NAME: CMD is `imprint hook` as NAME's hooks.d file runs it (also run by hand).
hook_argv() {
	local d=$CONF/$1
	CMD=("$IMPRINT" hook --policy-dir "$d/policy.d" --keys-dir "$CONF/keys" --state-dir "$d/state"
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
	printf '%s\n' imprint "${CMD[@]:1}" | jq -R . | jq -s --arg imprint "$IMPRINT" '{
		version: "1.0.0",
		hook: { path: $imprint, args: . },
		when: { always: true },
		stages: ["createRuntime"]
	}' >"$d/hooks/imprint.json"
}
# use_conf NAME: the environment imprint-runc reads its configuration from.
use_conf() {
	export IMPRINT_POLICY_DIR=$CONF/$1/policy.d IMPRINT_KEYS_DIR=$CONF/keys \
		IMPRINT_STATE_DIR=$CONF/$1/state IMPRINT_FINGERPRINT_DIR=$CONF/fps \
		IMPRINT_AUDIT_LOG=$CONF/$1/audit.jsonl IMPRINT_RUNTIME=$RUNC IMPRINT_MODE=enforce
	unset IMPRINT_STORAGE_ROOT IMPRINT_SOCKET IMPRINT_PARANOID
	if [ -n "${SOCKET[$1]}" ]; then export IMPRINT_SOCKET=${SOCKET[$1]}; else export IMPRINT_PARANOID=1; fi
}
# imprint_runc NAME ARGS...: imprint-runc ARGS with NAME's configuration, in a subshell that execs
# it (one fork, as for runc itself; the script's own environment stays free of IMPRINT_*, which
# `imprint hook` would read too).
imprint_runc() { (use_conf "$1" && shift && exec "$WORK/bin/imprint-runc" "$@"); }

declare -A DAEMON_PID # configuration -> its running imprintd
# start_daemon NAME: imprintd for configuration NAME, in the background, ready to answer.
start_daemon() {
	local d=$CONF/$1 i
	"$IMPRINT" daemon --socket "${SOCKET[$1]}" --policy-dir "$d/policy.d" --keys-dir "$CONF/keys" \
		--state-dir "$d/state" --fingerprint-dir "$CONF/fps" 2>>"$SOCKS/imprintd-$1.log" &
	DAEMON_PID[$1]=$!
	for ((i = 0; i < 200; i++)); do
		if "$IMPRINT" daemon --status --socket "${SOCKET[$1]}" >/dev/null 2>&1; then return 0; fi
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
# daemon_stats NAME: "HITS MISSES INVALIDATIONS EVENTS LAYERS" of NAME's imprintd (--status).
daemon_stats() {
	local s
	s=$("$IMPRINT" daemon --status --socket "${SOCKET[$1]}") || die "imprintd for $1: --status failed"
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
}

# --- setup -----------------------------------------------------------------------------------------

declare -A IMAGE_ID ROOT_DIGEST NFILES BYTES

setup() {
	unmount_tamper_store
	safe_rm "$CONF" "$BUNDLES" "$TSTORE" "$TRUNROOT" "$SOCKS"
	mkdir -p "$CONF/keys" "$CONF/fps" "$CONF/nohooks" "$BUNDLES" "$WORK/bin"
	mkdir -m 0700 "$SOCKS"
	ln -sfn "$IMPRINT" "$WORK/bin/imprint-runc"

	log "keys, policies and imprintd configurations in $CONF"
	"$IMPRINT" keygen --out "$CONF/signer" >/dev/null
	cp "$CONF/signer.pub" "$CONF/keys/"
	"$IMPRINT" policy init "$CONF/allow.json" --name base >/dev/null
	"$IMPRINT" policy init "$CONF/empty.json" --name base >/dev/null
	local img
	for img in "${IMGS[@]}"; do
		"$IMPRINT" policy add "$CONF/allow.json" "oci:$IMAGES/$img:latest" >/dev/null
	done
	# allow: pins every image, through imprintd (the timed default mode); paranoid: the same policy,
	# never asking imprintd; deny, deny-paranoid: pin none (defaultAction deny); cold, cold-paranoid:
	# the never-seen image's measurements (their own imprintd and audit logs).
	write_conf allow "$CONF/allow.json" "$SOCKS/allow.sock"
	write_conf paranoid "$CONF/allow.json" ""
	write_conf deny "$CONF/empty.json" "$SOCKS/deny.sock"
	write_conf deny-paranoid "$CONF/empty.json" ""
	write_conf cold "$CONF/allow.json" "$SOCKS/cold.sock"
	write_conf cold-paranoid "$CONF/allow.json" ""

	for img in "${IMGS[@]}"; do
		log "$img: podman pull into $STORE, umoci unpack into $BUNDLES/$img"
		IMAGE_ID[$img]=$(podman_at "$STORE" "$RUNROOT" pull -q "oci:$IMAGES/$img:latest" 2>"$WORK/err") ||
			{ cat "$WORK/err" >&2; die "podman pull oci:$IMAGES/$img:latest failed"; }
		podman_at "$STORE" "$RUNROOT" tag "${IMAGE_ID[$img]}" "localhost/imprint-bench/$img:latest"
		# The policy entry pinning this image (same config digest): its root digest is what the
		# runc wrapper's verdict must report.
		ROOT_DIGEST[$img]=$(jq -r --arg c "sha256:${IMAGE_ID[$img]}" \
			'.images[] | select(.configDigest == $c) | .rootDigest' "$CONF/allow.json")
		[[ ${ROOT_DIGEST[$img]} == sha256:* ]] ||
			die "$img: the policy has no entry for config sha256:${IMAGE_ID[$img]} (the pulled image is not the layout's)"

		umoci unpack --image "$IMAGES/$img:latest" "$BUNDLES/$img" >/dev/null 2>"$WORK/err" ||
			{ cat "$WORK/err" >&2; die "umoci unpack $IMAGES/$img:latest failed"; }
		jq '.process.args = ["/bin/true"] | .process.terminal = false' "$BUNDLES/$img/config.json" \
			>"$WORK/config.json" && mv "$WORK/config.json" "$BUNDLES/$img/config.json"
		NFILES[$img]=$(find "$BUNDLES/$img/rootfs" -type f | wc -l)
		BYTES[$img]=$(du -sb "$BUNDLES/$img/rootfs" | cut -f1)
	done
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
cleanup() {
	stop_all
	remove_hook_containers
	unmount_tamper_store
}
trap cleanup EXIT

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
	[cold]=cold [cold-paranoid]=cold)
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

# runc container IDs: imprint-bench-PID-IMAGE-WHAT-N, unique within a run of the script.
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

MODES=(allow paranoid)
declare -A MODE_LABEL=([allow]="through imprintd" [paranoid]="paranoid" [deny]="through imprintd"
	[deny-paranoid]="paranoid")

checks() {
	local img id root ref c s0 before n
	log "checks: imprint really verifies, really refuses, and asks imprintd when it should"
	for img in "${IMGS[@]}"; do
		id=${IMAGE_ID[$img]} root=${ROOT_DIGEST[$img]} ref=localhost/imprint-bench/$img:latest

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
	done
	stop_daemon deny

	# Content, not only digests, and imprintd's cache is not stale: in a second store (the timed one
	# stays intact), start the first image through imprintd until its layer is served from the cache,
	# change one byte of a file in the stored layer, and the next start must be refused, through
	# imprintd and paranoid; with the byte restored it starts again. The same with a copy of its
	# runc bundle and imprint-runc.
	local busy=${IMGS[0]} diff file rel
	log "  tampering with one byte of a file of $busy (a private store copy and a bundle copy)"
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

	cp -a "$BUNDLES/$busy" "$BUNDLES/tampered"
	for n in 1 2; do
		s0=$(daemon_stats allow)
		expect_ok "imprint-runc (through imprintd), copy of the $busy bundle, start $n" \
			imprint_runc allow run -b "$BUNDLES/tampered" "$(runc_id tampered "ok-$n")"
	done
	expect_lookup "the second imprint-runc start of the $busy bundle copy" allow "$s0" hit
	log "  ok: the $busy bundle copy is in imprintd's cache (the second start hit it)"
	flip_byte "$BUNDLES/tampered/rootfs$rel"
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
	flip_byte "$BUNDLES/tampered/rootfs$rel"
	expect_ok "imprint-runc (through imprintd), $busy bundle with the byte restored" \
		imprint_runc allow run -b "$BUNDLES/tampered" "$(runc_id tampered ok-3)"
	log "  ok: imprint-runc (through imprintd), $busy bundle with the byte restored: allowed again"
	safe_rm "$BUNDLES/tampered"
	if "$RUNC" list -q | grep -q "^imprint-bench-$$-"; then die "runc containers left behind: $("$RUNC" list -q)"; fi
}

# --- timing ----------------------------------------------------------------------------------------

VARIANTS=(podman podman-hook podman-paranoid runc imprint-runc imprint-runc-paranoid)
declare -A LABEL=(
	[podman]="podman run, no hook"
	[podman-hook]="podman run, hook through imprintd"
	[podman-paranoid]="podman run, hook --paranoid"
	[runc]="runc run"
	[imprint-runc]="imprint-runc run, through imprintd"
	[imprint-runc-paranoid]="imprint-runc run, IMPRINT_PARANOID=1"
)
declare -A BASE=([podman-hook]=podman [podman-paranoid]=podman [imprint-runc]=runc [imprint-runc-paranoid]=runc)
declare -A CONF_OF=([podman-hook]=allow [podman-paranoid]=paranoid [imprint-runc]=allow [imprint-runc-paranoid]=paranoid)
ENGINES=("podman podman-hook podman-paranoid" "runc imprint-runc imprint-runc-paranoid")

declare -A T E       # key "IMAGE|VARIANT": wall times / decision times (elapsedUs), in us, space-separated
declare -A HITS MISSES EVENTS NOHIT # key "IMAGE|VARIANT": imprintd's figures during the timed runs
LAST_STATS=""

# timed IMAGE VARIANT R: run VARIANT once on IMAGE and add its wall time to T. Outside the timed
# part: the decision time from the audit log's last line to E, and what imprintd did meanwhile
# (its --status after the previous start and after this one) to HITS, MISSES, EVENTS.
timed() {
	local img=$1 v=$2 r=$3 ref=localhost/imprint-bench/$1:latest t0 t1 cmd after c=${CONF_OF[$2]:-}
	local -a d
	case $v in
	podman) cmd=(pmrun "$STORE" "$RUNROOT" "$CONF/nohooks" "$ref" /bin/true) ;;
	podman-*) cmd=(pmrun "$STORE" "$RUNROOT" "$CONF/$c/hooks" "$ref" /bin/true) ;;
	runc) cmd=("$RUNC" run -b "$BUNDLES/$img" "$(runc_id "$img" "runc-$r")") ;;
	imprint-runc*) cmd=(imprint_runc "$c" run -b "$BUNDLES/$img" "$(runc_id "$img" "timed-$c-$r")") ;;
	esac
	t0=${EPOCHREALTIME/./}
	"${cmd[@]}" </dev/null >"$WORK/out" 2>"$WORK/err" ||
		{ tail -n 20 "$WORK/err" >&2; die "$img, $v, run $r: '${cmd[*]}' failed"; }
	t1=${EPOCHREALTIME/./}
	T[$img|$v]+="$((t1 - t0)) "
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
		for g in "${ENGINES[@]}"; do
			for v in $g; do timed "$img" "$v" 0; done
		done
	done
	T=() E=() HITS=() MISSES=() EVENTS=() NOHIT=()
}

bench() {
	local r img g v k c
	local -a grp
	local -A hook0 runtime0
	for img in "${IMGS[@]}"; do
		for c in "${MODES[@]}"; do
			hook0[$img|$c]=$(count_hook "$c" allowed "${IMAGE_ID[$img]}")
			runtime0[$img|$c]=$(count_runtime "$c" allowed "${ROOT_DIGEST[$img]}" "imprint-bench-$$-$img-timed-")
		done
	done
	log "timing: $RUNS rounds; each round starts every image every way, rotating which of a group goes first"
	for ((r = 1; r <= RUNS; r++)); do
		for img in "${IMGS[@]}"; do
			for g in "${ENGINES[@]}"; do
				read -r -a grp <<<"$g"
				for ((k = 0; k < ${#grp[@]}; k++)); do
					timed "$img" "${grp[$(((k + r) % ${#grp[@]}))]}" "$r"
				done
			done
		done
		log "  round $r/$RUNS done"
	done

	log "checks on the timed runs"
	# Every timed imprint run left exactly one "allowed" verdict, the baselines none.
	for img in "${IMGS[@]}"; do
		for c in "${MODES[@]}"; do
			expect_count "$img: $RUNS hook verdicts (${MODE_LABEL[$c]}) during the timed runs" \
				$(($(count_hook "$c" allowed "${IMAGE_ID[$img]}") - hook0[$img|$c])) "$RUNS"
			expect_count "$img: $RUNS imprint-runc verdicts (${MODE_LABEL[$c]}) during the timed runs" \
				$(($(count_runtime "$c" allowed "${ROOT_DIGEST[$img]}" "imprint-bench-$$-$img-timed-") - runtime0[$img|$c])) "$RUNS"
		done
		# imprintd answered every start through it from its cache, and nothing else asked it.
		for v in "${VARIANTS[@]}"; do
			if [[ $v == podman-hook || $v == imprint-runc ]]; then
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
}

# --- a never-seen image -----------------------------------------------------------------------------

# cold_hook KEY CONF: time `imprint hook` of CONF on the created container of COLD_IMG, once, into
# T[cold|KEY] and E[cold|KEY]; its verdict must be "allowed". With imprintd, check the lookup was a
# miss (KEY *-miss) or a hit (KEY hit) and nothing else.
cold_hook() {
	local key=$1 c=$2 t0 t1 s0 line
	[ -z "${SOCKET[$c]}" ] || s0=$(daemon_stats "$c")
	hook_argv "$c"
	t0=${EPOCHREALTIME/./}
	"${CMD[@]}" <"$WORK/state-$COLD_IMG.json" >"$WORK/out" 2>"$WORK/err" ||
		{ tail -n 20 "$WORK/err" >&2; die "never-seen $COLD_IMG, $key: '${CMD[*]}' failed"; }
	t1=${EPOCHREALTIME/./}
	line=$(tail -n 1 "$CONF/$c/audit.jsonl")
	[ "$(jq -r '"\(.verdict) \(.digests.config)"' <<<"$line")" = "allowed sha256:${IMAGE_ID[$COLD_IMG]}" ] ||
		die "check failed: never-seen $COLD_IMG, $key: the audit log does not say allowed: $line"
	T[cold|$key]+="$((t1 - t0)) "
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

declare -A MED
# target IMAGE VARIANT: the target verdict of a start through imprintd, "" for the others.
target() {
	local img=$1 v=$2 pct
	if [[ $v != podman-hook && $v != imprint-runc ]] || [ -z "${TARGET_PCT[$img]:-}" ]; then return 0; fi
	pct=$(awk -v a="${MED[$img|$v]}" -v b="${MED[$img|${BASE[$v]}]}" 'BEGIN { printf "%+.1f", (a / b - 1) * 100 }')
	awk -v p="$pct" -v t="${TARGET_PCT[$img]}" -v ref="$([ "$v" = imprint-runc ] && echo 1)" 'BEGIN {
		s = sprintf("%s%% vs <=%d%%: %s", p, t, p <= t ? "PASS" : "FAIL")
		print ref ? "(" s ")" : s }'
}

report() {
	local img v med p90 min max bmed over ratio dmed mem key dv pv
	echo
	echo "imprint start-up benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "imprint: $IMPRINT ($("$IMPRINT" --version 2>/dev/null | head -n 1 || echo '?'))"
	echo "podman $(podman version --format '{{.Client.Version}}' 2>/dev/null || echo '?')" \
		"(runtime $(podman_at "$STORE" "$RUNROOT" info --format '{{.Host.OCIRuntime.Name}}' 2>/dev/null || echo '?')," \
		"storage driver overlay), $("$RUNC" --version | head -n 1)"
	echo "host: $(uname -r), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 2^20 }' /proc/meminfo) RAM," \
		"$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "load average: $LOAD0 at start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
	echo
	echo "$RUNS runs of each command and image, interleaved, after one untimed warm-up start of each;"
	echo "wall time per start in ms. imprintd runs throughout (also during the starts without imprint)."
	echo "overhead = median - the baseline's median (podman run, no hook; runc run); ratio = median /"
	echo "the baseline's median. decision = median of the audit log's elapsedUs (imprint's own time)."
	echo "target: what the start through imprintd adds to podman run's median, in % (for imprint-runc,"
	echo "in parentheses, the same bound for reference only)."
	for img in "${IMGS[@]}"; do
		echo
		printf '== %s: %s regular files, %s MiB unpacked (image %.12s)\n' "$img" "${NFILES[$img]}" \
			"$(awk -v b="${BYTES[$img]}" 'BEGIN { printf "%.1f", b / 2^20 }')" "${IMAGE_ID[$img]}"
		printf '   %-37s %7s %7s %7s %9s %6s %8s  %s\n' "start-up path" median p90 min overhead ratio decision target
		for v in "${VARIANTS[@]}"; do
			read -r med p90 min max <<<"$(stat_us "${T[$img|$v]}")"
			MED[$img|$v]=$med
			over="" ratio="" dmed=""
			if [ -n "${BASE[$v]:-}" ]; then
				bmed=${MED[$img|${BASE[$v]}]}
				over=$(awk -v a="$med" -v b="$bmed" 'BEGIN { printf "%+.1f", a - b }')
				ratio=$(awk -v a="$med" -v b="$bmed" 'BEGIN { printf "%.2f", a / b }')
				read -r dmed _ <<<"$(stat_us "${E[$img|$v]}")"
			fi
			printf '   %-37s %7.1f %7.1f %7.1f %9s %6s %8s  %s\n' "${LABEL[$v]}" "$med" "$p90" "$min" \
				"$over" "$ratio" "$dmed" "$(target "$img" "$v")"
		done
	done

	echo
	echo "== imprintd during the timed runs (cache lookups, and filesystem events it read per start)"
	printf '   %-10s %-37s %6s %7s %13s\n' image "start-up path" hits misses "events/start"
	for img in "${IMGS[@]}"; do
		for v in "${VARIANTS[@]}"; do
			printf '   %-10s %-37s %6d %7d %13.0f\n' "$img" "${LABEL[$v]}" "${HITS[$img|$v]}" "${MISSES[$img|$v]}" \
				"$(awk -v e="${EVENTS[$img|$v]}" -v n="$RUNS" 'BEGIN { print e / n }')"
		done
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
	read -r -a mem <<<"${MEM[cold]}"
	printf '   %-64s %7s %7s\n' "a fresh imprintd after verifying $COLD_IMG once (last repetition)" \
		"$(mib "${mem[0]}")" "$(mib "${mem[1]}")"

	echo
	echo "== a never-seen image: \`imprint hook\` by hand on a created $COLD_IMG container, $COLD_RUNS repetitions"
	echo "   (wall time of the hook process, and decision = elapsedUs; ms)"
	printf '   %-40s %7s %7s %7s %9s\n' "" median min max decision
	for key in "${COLD_KEYS[@]}"; do
		read -r med p90 min max <<<"$(stat_us "${T[cold|$key]}")"
		read -r dmed _ <<<"$(stat_us "${E[cold|$key]}")"
		printf '   %-40s %7.1f %7.1f %7.1f %9.1f\n' "${COLD_LABEL[$key]}" "$med" "$min" "$max" "$dmed"
	done

	echo
	echo "== summary (medians, ms; overhead and ratio vs the same engine without imprint)"
	printf '   %-9s %-7s %8s  %9s %7s %6s  %9s %7s %6s  %s\n' "" "" "" "imprintd" "" "" paranoid "" "" ""
	printf '   %-9s %-7s %8s  %9s %7s %6s  %9s %7s %6s  %s\n' image engine without "with" overhead ratio \
		"with" overhead ratio "target (imprintd)"
	for img in "${IMGS[@]}"; do
		for v in podman runc; do
			dv=$v-hook pv=$v-paranoid
			if [ "$v" = runc ]; then dv=imprint-runc pv=imprint-runc-paranoid; fi
			bmed=${MED[$img|$v]}
			printf '   %-9s %-7s %8.1f  %9.1f %+7.1f %6.2f  %9.1f %+7.1f %6.2f  %s\n' "$img" "$v" "$bmed" \
				"${MED[$img|$dv]}" "$(awk -v a="${MED[$img|$dv]}" -v b="$bmed" 'BEGIN { print a - b }')" \
				"$(awk -v a="${MED[$img|$dv]}" -v b="$bmed" 'BEGIN { print a / b }')" \
				"${MED[$img|$pv]}" "$(awk -v a="${MED[$img|$pv]}" -v b="$bmed" 'BEGIN { print a - b }')" \
				"$(awk -v a="${MED[$img|$pv]}" -v b="$bmed" 'BEGIN { print a / b }')" "$(target "$img" "$dv")"
		done
	done
	echo "   podman: podman run --rm --network none --ulimit ... --entrypoint /bin/true IMAGE, --hooks-dir empty"
	echo "     or holding imprint.json (imprint hook --socket SOCK, or --paranoid)."
	echo "   runc: runc run vs imprint-runc run of a umoci bundle (IMPRINT_SOCKET=SOCK, or IMPRINT_PARANOID=1)."
}

# --- main ------------------------------------------------------------------------------------------

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
setup
create_hook_containers
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
stop_daemon allow
never_seen
remove_hook_containers
report | tee "$WORK/report.txt"
log "report saved to $WORK/report.txt"
