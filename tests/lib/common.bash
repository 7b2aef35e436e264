# tests/lib/common.bash: shared helpers for the bats integration tests (`load ../lib/common`).
#
#   IMPRINT   the binary under test (default build/imprint; a relative path is taken from the
#             top of the repository, so `IMPRINT=build-asan/imprint bats ...` works from anywhere)
#   IMAGES    the shared image directory, built once by tests/lib/mkimages.sh and reused by every
#             run (IMPRINT_TEST_IMAGES, default /var/tmp/imprint-test-images)
#   IMPRINT_REQUIRE_ALL=1  turns every skip_unless into a failure (CI: nothing may be skipped)

bats_require_minimum_version 1.5.0 # run --separate-stderr

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
LIB=$TOP/tests/lib
IMPRINT=${IMPRINT:-$TOP/build/imprint}
case "$IMPRINT" in
/*) ;;
*) IMPRINT=$TOP/$IMPRINT ;;
esac
IMAGES=${IMPRINT_TEST_IMAGES:-/var/tmp/imprint-test-images}
export IMPRINT IMAGES LIB TOP
# The host's /etc/imprint/imprint.conf is not the tests': every entry point the tests run
# reads no configuration file unless a test names one (config.bats).
export IMPRINT_CONFIG=

# The default exclusions of docs/formats.md.
DEFAULT_EXCLUDES='["/dev","/etc/hostname","/etc/hosts","/etc/resolv.conf","/proc","/run/.containerenv","/sys"]'

fail() {
	printf '%s\n' "$@" >&2
	return 1
}

# need REASON COMMAND...: skip the test (or the file, in setup_file) unless COMMAND succeeds;
# under IMPRINT_REQUIRE_ALL=1 fail instead.
need() {
	local reason=$1
	shift
	"$@" >/dev/null 2>&1 && return 0
	if [ "${IMPRINT_REQUIRE_ALL:-0}" = 1 ]; then
		fail "required but missing: $reason (IMPRINT_REQUIRE_ALL=1)"
		return 1
	fi
	skip "$reason"
}

# skip_unless CMD: the test needs the program CMD.
skip_unless() {
	need "$1 is not installed" command -v "$1"
}

skip_unless_root() {
	need "needs root" test "$(id -u)" -eq 0
}

# images NAME...: make sure the shared images exist (mkimages.sh skips what is already built).
images() {
	skip_unless_root
	local t
	for t in umoci skopeo podman python3 jq; do
		skip_unless "$t"
	done
	[ -x "$IMPRINT" ] || fail "imprint binary not found at $IMPRINT (scripts/build.sh build)"
	"$LIB/mkimages.sh" "$IMAGES" "$@" >&2
}

# tpodman ARGS...: podman on the private store the images were loaded into.
tpodman() {
	podman --root "$IMAGES/storage" --runroot "$IMAGES/run" --storage-driver overlay "$@"
}

# fpod ARGS...: podman on a test file's own private store ($ST, its runroot $RR).
fpod() {
	podman --root "$ST" --runroot "$RR" --storage-driver overlay "$@"
}

# unmount_below DIR: containers-storage leaves its overlay home bind-mounted on itself; unmount
# whatever a test's private store left below DIR so bats can remove it.
unmount_below() {
	local m
	for m in $(awk -v d="$1/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
		umount -l "$m" || true
	done
}

# unpacked NAME: print the path of NAME's rootfs as `umoci unpack` lays it out. Cached in
# $IMAGES/unpacked/NAME and redone when the image's manifest changed.
unpacked() {
	local name=$1 dir=$IMAGES/unpacked/$1 digest
	digest=$(jq -r '.manifests[0].digest' "$IMAGES/$name/index.json")
	if [ "$(cat "$dir/.manifest" 2>/dev/null)" != "$digest" ]; then
		rm -rf --one-file-system "$dir"
		mkdir -p "$IMAGES/unpacked"
		umoci unpack --image "$IMAGES/$name:latest" "$dir" >/dev/null
		echo "$digest" >"$dir/.manifest"
	fi
	echo "$dir/rootfs"
}

# sha256 FILE: the hex SHA-256 of FILE.
sha256() {
	sha256sum "$1" | cut -d' ' -f1
}

# blob LAYOUT DIGEST: the path of a blob in an OCI layout.
blob() {
	echo "$1/blobs/sha256/${2#sha256:}"
}

# assert_status N: the last `run` exited with N (prints the output when not).
assert_status() {
	[ "$status" -eq "$1" ] || fail "expected exit $1, got $status; output:" "$output"
}

# assert_error VERB: the last `run` failed with exactly exit 2 (not a crash: 134 and 139 are
# abort and segfault) and printed one line, `imprint: VERB: ...`.
assert_error() {
	assert_status 2
	[ "${#lines[@]}" -eq 1 ] || fail "expected one line of error, got ${#lines[@]}:" "$output"
	[[ "${lines[0]}" == "imprint: $1: "* ]] || fail "expected 'imprint: $1: ...', got:" "$output"
}

# assert_contains STRING: the last `run`'s output contains STRING.
assert_contains() {
	[[ "$output" == *"$1"* ]] || fail "expected output to contain '$1', got:" "$output"
}

# assert_eq WHAT EXPECTED GOT
assert_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}
