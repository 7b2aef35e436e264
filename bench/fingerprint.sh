#!/usr/bin/env bash
# bench/fingerprint.sh [--quick]: how fast `imprint fingerprint` hashes a tree, next to the
# tools people already use for that (aide, mtree, sha256sum, openssl), on the same data, in one run.
#
#   bench/fingerprint.sh           Debian minbase rootfs + a >= 1 GB copy of /usr, N=5
#   bench/fingerprint.sh --quick   Debian minbase rootfs only, N=3
#
# Environment:
#   IMPRINT      imprint binary               (default: build/imprint in the repository)
#   IMAGES       OCI layouts from tests/lib/mkimages.sh (default: /var/tmp/imprint-test-images)
#   BENCH_WORK   scratch space, the /usr copy is kept here between runs
#                                             (default: /var/tmp/imprint-bench)
#   BENCH_RUNS   timed runs per command       (default: 5, or 3 with --quick)
#   BENCH_TREE_BYTES  at most this much of /usr is copied (default: 2 GiB; the copy is padded
#                up to 1 GiB and 30,000 files if /usr is smaller)
#   AIDE_WORKERS aide's num_workers           (default: 1, aide's own default)
#
# Must run as root (drop_caches, umoci unpack). Exit status: 0 when every command ran, whether the
# targets were met or not (it is a benchmark, not a test); 2 when a command failed or is missing.
set -euo pipefail
export LC_ALL=C

top=$(cd "$(dirname "$0")/.." && pwd)
IMPRINT=${IMPRINT:-$top/build/imprint}
IMAGES=${IMAGES:-/var/tmp/imprint-test-images}
WORK=${BENCH_WORK:-/var/tmp/imprint-bench}
AIDE_WORKERS=${AIDE_WORKERS:-1}

quick=0
case "${1:-}" in
"") ;;
--quick) quick=1 ;;
-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
*) echo "bench: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac
RUNS=${BENCH_RUNS:-$([ "$quick" = 1 ] && echo 3 || echo 5)}

# Targets.
TARGET_PEER_RATIO=10 # imprint at least this many times faster than aide and mtree (warm)
TARGET_FLOOR_RATIO=2 # imprint at most this many times the hashing floor (warm)
TARGET_RSS_MB=64     # imprint's peak RSS below this
MIN_TREE_BYTES=$((1024 * 1024 * 1024))
MIN_TREE_FILES=30000
MAX_TREE_BYTES=${BENCH_TREE_BYTES:-$((2 * 1024 * 1024 * 1024))}

log() { echo "bench: $*" >&2; }
die() { echo "bench: error: $*" >&2; exit 2; }

# --- preflight -----------------------------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || die "run as root (drop_caches and umoci unpack need it)"
case "$IMPRINT" in /*) ;; *) IMPRINT=$PWD/$IMPRINT ;; esac
[ -x "$IMPRINT" ] || die "imprint binary not found at $IMPRINT (build it with scripts/build.sh, or set IMPRINT=)"
for tool in aide mtree umoci openssl sha256sum find xargs awk /usr/bin/time; do
	command -v "$tool" >/dev/null || die "$tool is not installed (see scripts/packages.txt)"
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, not '$RUNS'"
[ -w /proc/sys/vm/drop_caches ] || die "/proc/sys/vm/drop_caches is not writable: cold-cache runs are impossible here"
mkdir -p "$WORK"
NCORES=$(nproc)

# --- running and timing one command ---------------------------------------------------------------

# imprint's timed runs write their fingerprint to NULL_DEV, a character device 1,3 (what
# /dev/null is) of our own: `imprint -o` replaces its output atomically, and should it rename a
# temporary file over the device instead of writing into it, only this copy is lost, not the
# machine's /dev/null.
NULL_DEV=$WORK/null
NULL_CLOBBERED=0
make_null_dev() {
	rm -f "$NULL_DEV"
	mknod -m 0666 "$NULL_DEV" c 1 3 || die "cannot create the device node $NULL_DEV (nodev mount?)"
}

# The peers, by name. cmd_argv NAME TREE sets CMD to the argv that hashes every file of TREE.
# IMPRINT_OUT is where imprint writes its fingerprint (NULL_DEV for timed runs).
IMPRINT_OUT=$NULL_DEV
cmd_argv() {
	local name=$1 tree=$2
	case $name in
	imprint) CMD=("$IMPRINT" fingerprint "dir:$tree" -o "$IMPRINT_OUT") ;;
	aide)
		write_aide_conf "$tree"
		rm -f "$WORK/aide.db"
		CMD=(aide --init -c "$WORK/aide.conf")
		;;
	mtree) CMD=(mtree -c -K sha256digest -p "$tree") ;;
	sha256sum) CMD=(bash -c 'find "$1" -type f -print0 | xargs -0 sha256sum' - "$tree") ;;
	openssl) CMD=(bash -c 'find "$1" -type f -print0 | xargs -0 -P2 openssl dgst -sha256' - "$tree") ;;
	imprint-oci) CMD=("$IMPRINT" fingerprint "oci:$tree" -o "$IMPRINT_OUT") ;;
	umoci-mtree)
		# The bundle must not exist before umoci unpack; removing it is not timed.
		rm -rf "$WORK/oci-bundle"
		CMD=(bash -c 'umoci unpack --image "$1" "$2" >/dev/null 2>&1 &&
			mtree -c -K sha256digest -p "$2/rootfs"' - "$tree" "$WORK/oci-bundle")
		;;
	*) die "internal: unknown command $name" ;;
	esac
}

# How each peer is shown in the table.
declare -A LABEL=(
	[imprint]="imprint fingerprint dir:TREE -o NULL"
	[aide]="aide --init (sha256 only, num_workers=$AIDE_WORKERS)"
	[mtree]="mtree -c -K sha256digest -p TREE"
	[sha256sum]="find | xargs -0 sha256sum"
	[openssl]="find | xargs -0 -P2 openssl dgst -sha256"
	[imprint-oci]="imprint fingerprint oci:debian:latest -o NULL"
	[umoci-mtree]="umoci unpack + mtree -c -K sha256digest"
)
DIR_PEERS=(imprint aide mtree sha256sum openssl)
OCI_PEERS=(imprint-oci umoci-mtree)

write_aide_conf() {
	# aide reads a selection line as a regular expression matching a path prefix: escape the
	# tree's path, and end it with / so that a sibling such as TREE.done does not match too.
	local re
	re=$(printf '%s' "$1" | sed 's/[]\\.^$*+?(){}|[]/\\&/g')
	cat >"$WORK/aide.conf" <<-EOF
		database_out=file:$WORK/aide.db
		database_add_metadata=no
		num_workers=$AIDE_WORKERS
		report_url=stdout
		H = sha256
		$re/ H
	EOF
}

# After each imprint run: was the device node replaced by a regular file? Then note it (the run
# paid for writing a file) and put the device back. And /dev/null is checked too, to be safe.
check_null_dev() {
	if [ ! -c "$NULL_DEV" ]; then
		[ "$NULL_CLOBBERED" = 1 ] || log "  WARNING: '$*' replaced the device node $NULL_DEV with a regular file"
		NULL_CLOBBERED=1
		make_null_dev
	fi
	if [ ! -c /dev/null ]; then
		rm -f /dev/null && mknod -m 0666 /dev/null c 1 3 || true
		die "/dev/null is no longer a device after '$*' (restored it)"
	fi
}

# run_once NAME TREE OUT: run peer NAME on TREE once, stdout to OUT.
# Sets SECS (wall clock) and RSS_KB (peak resident set size).
run_once() {
	local name=$1 tree=$2 out=$3 t0 t1
	cmd_argv "$name" "$tree"
	t0=$EPOCHREALTIME
	if ! /usr/bin/time -f %M -o "$WORK/time.out" "${CMD[@]}" >"$out" 2>"$WORK/stderr"; then
		echo "bench: command failed: ${CMD[*]}" >&2
		tail -n 20 "$WORK/stderr" >&2
		exit 2
	fi
	t1=$EPOCHREALTIME
	SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
	RSS_KB=$(tail -n 1 "$WORK/time.out")
	case $name in imprint*) check_null_dev "${CMD[*]}" ;; esac
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }

# --- checking that a peer really hashed every file ------------------------------------------------

# verify NAME TREE OUT: after a run of NAME on TREE with output OUT, check the work was done.
verify() {
	local name=$1 tree=$2 out=$3 got want
	want=${NFILES[$tree]}
	case $name in
	imprint | imprint-oci)
		# Summary line: ROOTDIGEST ENTRIES FILE.
		read -r digest got _ <"$out" || true
		[[ ${digest:-} == sha256:* && ${got:-0} -gt 0 ]] ||
			die "$name: unexpected summary '$(head -c 200 "$out")'"
		log "  $name: $got entries, root digest ${digest:0:19}..."
		ROOT_DIGEST[$tree|$name]=$digest
		return
		;;
	aide)
		# Database lines: name perm inode attr sha256; perm is st_mode in octal, 10xxxx for a
		# regular file; sha256 is 44 characters of base64.
		got=$(awk '$1 ~ /^\// && length($2) == 6 && substr($2, 1, 2) == "10" && length($NF) == 44' \
			"$WORK/aide.db" | wc -l)
		log "  aide: database $(stat -c %s "$WORK/aide.db") bytes, $got sha256 values"
		;;
	mtree | umoci-mtree) got=$(grep -c 'sha256=' "$out" || true) ;;
	sha256sum) got=$(grep -cE '^\\?[0-9a-f]{64}  ' "$out" || true) ;;
	openssl)
		# Two openssl processes write to one stdout, so their lines interleave mid-line. The
		# output's size still tells: each file gives "SHA2-256(PATH)= " + 64 hex digits + newline.
		got=$(stat -c %s "$out")
		want=$(find "$tree" -type f | awk '{ n += length($0) + 9 + 3 + 64 + 1 } END { printf "%.0f", n }')
		[ "$got" -eq "$want" ] || die "openssl wrote $got bytes, $want expected for ${NFILES[$tree]} files: it did not do the work"
		log "  openssl: output of $got bytes, as expected for ${NFILES[$tree]} files"
		return
		;;
	esac
	[ "$got" -eq "$want" ] || die "$name hashed $got files of $want in $tree: it did not do the work"
	log "  $name: hashed $got of $want regular files"
}

# --- the trees ------------------------------------------------------------------------------------

declare -A NFILES NOBJECTS BYTES ROOT_DIGEST

# measure_tree TREE: count regular files and all objects, sum the bytes of regular files
# (each inode once: a hardlink's content needs hashing only once).
measure_tree() {
	local tree=$1
	NFILES[$tree]=$(find "$tree" -type f | wc -l)
	NOBJECTS[$tree]=$(($(find "$tree" | wc -l) - 1))
	BYTES[$tree]=$(find "$tree" -type f -printf '%i %s\n' | awk '!seen[$1]++ { b += $2 } END { printf "%.0f", b }')
}

human_bytes() { awk -v b="$1" 'BEGIN { printf "%.1f %s", (b >= 2^30) ? b / 2^30 : b / 2^20, (b >= 2^30) ? "GiB" : "MiB" }'; }

debian_tree() {
	if [ ! -f "$IMAGES/debian/index.json" ]; then
		local mk=$top/tests/lib/mkimages.sh
		[ -x "$mk" ] || die "no image at $IMAGES/debian and no $mk to build it"
		log "building test images: $mk $IMAGES debian"
		"$mk" "$IMAGES" debian >&2 || die "$mk $IMAGES debian failed"
	fi
	log "unpacking $IMAGES/debian:latest"
	rm -rf "$WORK/debian-bundle"
	umoci unpack --image "$IMAGES/debian:latest" "$WORK/debian-bundle" >/dev/null 2>"$WORK/stderr" ||
		{ cat "$WORK/stderr" >&2; die "umoci unpack of $IMAGES/debian:latest failed"; }
	DEBIAN_TREE=$WORK/debian-bundle/rootfs
}

# A copy of /usr (its first MAX_TREE_BYTES in find order, so that machines with a huge /usr do
# not spend an hour per run), padded with copies of its largest files (and small files) until it
# has at least MIN_TREE_BYTES and MIN_TREE_FILES. Kept between runs; usr-copy.done (which holds
# MAX_TREE_BYTES) marks it complete.
usr_tree() {
	USR_TREE=$WORK/usr-copy
	if [ "$(cat "$WORK/usr-copy.done" 2>/dev/null)" = "$MAX_TREE_BYTES" ] && [ -d "$USR_TREE" ]; then
		log "reusing $USR_TREE"
		return
	fi
	rm -rf "$USR_TREE" "$WORK/usr-copy.done"
	log "copying up to $(human_bytes "$MAX_TREE_BYTES") of /usr to $USR_TREE (once; kept for later runs)"
	mkdir -p "$USR_TREE"
	(cd /usr && find . -xdev -printf '%s\t%p\n') |
		awk -F'\t' -v max="$MAX_TREE_BYTES" '{ total += $1; if (total > max) exit; print $2 }' |
		tar -C /usr --no-recursion -cf - -T - | tar -C "$USR_TREE" -xpf -
	local bytes files pad=$USR_TREE/bench-padding i=0 size path
	bytes=$(du -sb "$USR_TREE" | cut -f1)
	files=$(find "$USR_TREE" -type f | wc -l)
	if [ "$bytes" -lt "$MIN_TREE_BYTES" ]; then
		log "padding to $(human_bytes "$MIN_TREE_BYTES") with copies of large files"
		mkdir -p "$pad/large"
		mapfile -t big < <(find /usr -type f -size +1M -printf '%s %p\n' | sort -rn | head -n 50)
		[ "${#big[@]}" -gt 0 ] || die "no files over 1 MB in /usr to pad the tree with"
		while [ "$bytes" -lt "$MIN_TREE_BYTES" ]; do
			read -r size path <<<"${big[i % ${#big[@]}]}"
			cp "$path" "$pad/large/$i-$(basename "$path")"
			bytes=$((bytes + size)) files=$((files + 1)) i=$((i + 1))
		done
	fi
	if [ "$files" -lt "$MIN_TREE_FILES" ]; then
		log "padding to $MIN_TREE_FILES files with small files"
		mkdir -p "$pad/small"
		for ((i = files; i < MIN_TREE_FILES; i++)); do
			printf 'imprint benchmark padding file %d\n' "$i" >"$pad/small/$i"
		done
	fi
	echo "$MAX_TREE_BYTES" >"$WORK/usr-copy.done"
}

# --- the benchmark --------------------------------------------------------------------------------

declare -A WARM COLD RSS # key: "TREE|NAME"; RSS is the largest peak RSS (KB) over the runs

note_rss() {
	local key=$1
	[ "$RSS_KB" -gt "${RSS[$key]:-0}" ] && RSS[$key]=$RSS_KB
	return 0
}

# warm NAME TREE: one untimed warm-up (its output checked), then RUNS timed runs.
warm() {
	local name=$1 tree=$2 r times=()
	log "warm: $name on $tree (1 warm-up + $RUNS runs)"
	# The warm-up writes imprint's fingerprint to a real file, so its summary line can be checked.
	IMPRINT_OUT=$WORK/fingerprint.json
	run_once "$name" "$tree" "$WORK/warmup.out"
	verify "$name" "$tree" "$WORK/warmup.out"
	IMPRINT_OUT=$NULL_DEV
	for ((r = 1; r <= RUNS; r++)); do
		run_once "$name" "$tree" /dev/null
		times+=("$SECS")
		note_rss "$tree|$name"
	done
	WARM[$tree|$name]=$(median "${times[@]}")
	log "  median ${WARM[$tree|$name]} s (runs: ${times[*]})"
}

cold() {
	local name=$1 tree=$2
	drop_caches
	run_once "$name" "$tree" /dev/null
	note_rss "$tree|$name"
	COLD[$tree|$name]=$SECS
	log "cold: $name on $tree: $SECS s"
}

# OpenSSL's SHA-256 speed on one core, bytes per second (16384-byte blocks).
sha256_speed() {
	log "measuring openssl speed -evp sha256 -bytes 16384 -seconds 3"
	SPEED=$(openssl speed -evp sha256 -bytes 16384 -seconds 3 2>/dev/null |
		awk '$1 == "sha256" { v = $NF; sub(/k$/, "", v); printf "%.0f", v * 1000 }')
	[ -n "$SPEED" ] && [ "$SPEED" -gt 0 ] || die "could not parse openssl speed output"
}

# --- report ---------------------------------------------------------------------------------------

ratio() { awk -v p="$1" -v i="$2" 'BEGIN { if (i > 0) printf "%.2f", p / i; else print "-" }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

RESULTS=() # target lines, printed at the end
target() { # target DESCRIPTION MEASURED PASS(0/1)
	RESULTS+=("$(printf '%-66s %-10s %s' "$1" "$2" "$([ "$3" = 1 ] && echo PASS || echo FAIL)")")
}

report_tree() {
	local title=$1 tree=$2 name imp_w imp_c floor w c
	imp_w=${WARM[$tree|imprint]}
	imp_c=${COLD[$tree|imprint]}
	floor=$(awk -v b="${BYTES[$tree]}" -v s="$SPEED" -v n="$NCORES" 'BEGIN { printf "%.4f", b / (n * s) }')
	echo
	echo "== $title: $tree"
	echo "   ${NFILES[$tree]} regular files, ${NOBJECTS[$tree]} objects, $(human_bytes "${BYTES[$tree]}") in regular files (${BYTES[$tree]} bytes)"
	printf '   %-50s %10s %8s %10s %8s\n' command "warm s" ratio "cold s" ratio
	for name in "${DIR_PEERS[@]}"; do
		w=${WARM[$tree|$name]} c=${COLD[$tree|$name]}
		printf '   %-50s %10.3f %8s %10.3f %8s\n' "${LABEL[$name]}" "$w" "$(ratio "$w" "$imp_w")" \
			"$c" "$(ratio "$c" "$imp_c")"
	done
	echo "   (warm s: median of $RUNS runs after a warm-up; cold s: one run after drop_caches;"
	echo "    ratio: command's time / imprint's time)"
	printf '   floor: %s bytes / (%d cores x %s MB/s) = %.3f s; imprint warm = %.2f x floor\n' \
		"${BYTES[$tree]}" "$NCORES" "$(awk -v s="$SPEED" 'BEGIN { printf "%.0f", s / 1e6 }')" \
		"$floor" "$(ratio "$imp_w" "$floor")"
	printf '   imprint peak RSS: %s MB\n' "$(mb "${RSS[$tree|imprint]}")"

	local r
	for name in aide mtree; do
		r=$(ratio "${WARM[$tree|$name]}" "$imp_w")
		target "imprint >= ${TARGET_PEER_RATIO}x faster than $name (warm, $title)" "${r}x" \
			"$(awk -v r="$r" -v t="$TARGET_PEER_RATIO" 'BEGIN { print (r >= t) }')"
	done
	r=$(ratio "$imp_w" "$floor")
	target "imprint <= ${TARGET_FLOOR_RATIO}x the floor (warm, $title)" "${r}x" \
		"$(awk -v r="$r" -v t="$TARGET_FLOOR_RATIO" 'BEGIN { print (r <= t) }')"
}

report_oci() {
	local image=$1 imp=${WARM[$1|imprint-oci]} name w
	echo
	echo "== OCI image: $image"
	printf '   %-50s %10s %8s\n' command "warm s" ratio
	for name in "${OCI_PEERS[@]}"; do
		w=${WARM[$image|$name]}
		printf '   %-50s %10.3f %8s\n' "${LABEL[$name]}" "$w" "$(ratio "$w" "$imp")"
	done
	printf '   imprint peak RSS: %s MB\n' "$(mb "${RSS[$image|imprint-oci]}")"
	# The image and its unpacked rootfs must give the same fingerprint.
	local a=${ROOT_DIGEST[$image|imprint-oci]} b=${ROOT_DIGEST[$DEBIAN_TREE|imprint]}
	if [ "$a" = "$b" ]; then
		echo "   root digest: oci: and dir: of its unpacked rootfs agree ($a)"
	else
		echo "   root digest: oci: $a but dir: of its unpacked rootfs $b: MISMATCH"
	fi
}

# --- main -----------------------------------------------------------------------------------------

make_null_dev
debian_tree
TREES=("$DEBIAN_TREE")
TITLES=("Debian minbase rootfs")
if [ "$quick" = 0 ]; then
	usr_tree
	TREES+=("$USR_TREE")
	TITLES+=("copy of /usr")
fi
for tree in "${TREES[@]}"; do
	log "measuring $tree"
	measure_tree "$tree"
	log "  ${NFILES[$tree]} regular files, ${NOBJECTS[$tree]} objects, $(human_bytes "${BYTES[$tree]}")"
done
if [ "$quick" = 0 ]; then
	[ "${BYTES[$USR_TREE]}" -ge "$MIN_TREE_BYTES" ] && [ "${NFILES[$USR_TREE]}" -ge "$MIN_TREE_FILES" ] ||
		die "$USR_TREE is too small; remove $WORK/usr-copy.done to rebuild it"
fi

sha256_speed

for tree in "${TREES[@]}"; do
	for name in "${DIR_PEERS[@]}"; do warm "$name" "$tree"; done
done
for tree in "${TREES[@]}"; do
	for name in "${DIR_PEERS[@]}"; do cold "$name" "$tree"; done
done

# Image comparison: the umoci bundle's rootfs holds the same regular files as the Debian tree.
IMAGE=$IMAGES/debian:latest
NFILES[$IMAGE]=${NFILES[$DEBIAN_TREE]}
for name in "${OCI_PEERS[@]}"; do warm "$name" "$IMAGE"; done
rm -rf "$WORK/oci-bundle"

{
	echo
	echo "imprint fingerprint benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "imprint: $IMPRINT ($("$IMPRINT" --version 2>/dev/null | head -n 1 || echo '?'))"
	echo "host: $(uname -r), $NCORES cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 2^20 }' /proc/meminfo) RAM," \
		"$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "openssl speed -evp sha256 (16384-byte blocks): $(awk -v s="$SPEED" 'BEGIN { printf "%.0f", s / 1e6 }') MB/s per core"
	for i in "${!TREES[@]}"; do report_tree "${TITLES[$i]}" "${TREES[$i]}"; done
	report_oci "$IMAGE"

	peak=0
	for key in "${!RSS[@]}"; do
		case $key in *"|imprint" | *"|imprint-oci") [ "${RSS[$key]}" -gt "$peak" ] && peak=${RSS[$key]} ;; esac
	done
	peak_mb=$(mb "$peak")
	target "imprint peak RSS < ${TARGET_RSS_MB} MB (every imprint run)" "$peak_mb MB" \
		"$(awk -v m="$peak_mb" -v t="$TARGET_RSS_MB" 'BEGIN { print (m < t) }')"

	echo
	echo "== targets"
	printf '   %s\n' "${RESULTS[@]}"
	if [ "$NULL_CLOBBERED" = 1 ]; then
		echo
		echo "WARNING: imprint -o NULL replaced the character device with a regular file (rename over"
		echo "it) instead of writing into it; with -o /dev/null it would replace the machine's /dev/null."
		echo "Its timed runs therefore include writing and fsyncing a regular file."
	fi
} | tee "$WORK/report.txt"
log "report saved to $WORK/report.txt"
