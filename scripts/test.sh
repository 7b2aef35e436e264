#!/usr/bin/env bash
# scripts/test.sh: run every test.
#
#   1. unit tests (meson test) on the normal build, build/
#   2. the same on an ASan+UBSan build, build-asan/
#   3. the bats integration suite (tests/integration) against build/imprint
#   4. the fingerprint, hostile, verify, hook, tamper, bypass, behavior, sensor, events,
#      protect, files, daemon, engines and config integration files again, against
#      build-asan/imprint
#
# Integration tests need root and build their images once into IMPRINT_TEST_IMAGES (default
# /var/tmp/imprint-test-images; the debootstrap result is cached in IMPRINT_CACHE). With
# IMPRINT_REQUIRE_ALL=1 (CI) a test that would be skipped for a missing tool fails instead.
# Exits non-zero if anything failed; the last line is `N passed, N failed`.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
logs=$(mktemp -d /tmp/imprint-test.XXXXXX)
passed=0
failed=0
skipped=0
problems=()

step() { printf '\n=== %s\n' "$*"; }

# count LOG KEY: the number meson's summary prints after "KEY:" (0 if absent).
count() {
	awk -v k="$2" -F: '$1 == k {gsub(/[ \t]/, "", $2); n = $2} END {print n + 0}' "$1"
}

# meson_tests DIR: run the unit tests in DIR and add up meson's summary.
meson_tests() {
	local dir=$1 log=$logs/meson-$1.log rc
	meson test -C "$dir" --print-errorlogs 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	if [ "$rc" -eq 0 ] && grep -q '^No tests defined' "$log"; then
		echo "($dir: no unit tests defined)"
		return 0
	fi
	passed=$((passed + $(count "$log" Ok)))
	failed=$((failed + $(count "$log" Fail) + $(count "$log" "Unexpected Pass") + $(count "$log" Timeout)))
	skipped=$((skipped + $(count "$log" Skipped)))
	if [ "$rc" -ne 0 ]; then
		problems+=("meson test -C $dir exited $rc: $log")
		# a failure before any summary (e.g. a build error) still counts as one
		grep -q '^Fail:' "$log" || failed=$((failed + 1))
	fi
}

# bats_tests NAME FILES...: run bats on FILES with the current IMPRINT and add up the TAP lines.
bats_tests() {
	local name=$1 log=$logs/bats-$1.tap rc ok skip notok
	shift
	bats --tap "$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	ok=$(grep -c '^ok ' "$log")
	skip=$(grep -c '^ok .* # skip' "$log")
	notok=$(grep -c '^not ok ' "$log")
	passed=$((passed + ok - skip))
	skipped=$((skipped + skip))
	failed=$((failed + notok))
	if [ "$rc" -ne 0 ] && [ "$notok" -eq 0 ]; then
		failed=$((failed + 1)) # bats itself failed (syntax error, setup_file)
	fi
	[ "$rc" -eq 0 ] || problems+=("bats ($name) exited $rc: $log")
}

# build DIR [meson options]: a failed build is one failure, and its tests are not run.
build() {
	if scripts/build.sh "$@"; then
		return 0
	fi
	problems+=("build of $1 failed (see $1/meson-logs/meson-log.txt)")
	failed=$((failed + 1))
	return 1
}

step "unit tests (build)"
build build && meson_tests build

step "ASan+UBSan build and unit tests (build-asan)"
asan_ok=0
build build-asan -Db_sanitize=address,undefined -Db_lundef=false && asan_ok=1 && meson_tests build-asan

step "integration tests (build/imprint)"
if [ -x build/imprint ]; then
	IMPRINT=build/imprint bats_tests integration tests/integration
fi

step "integration tests under ASan+UBSan (build-asan/imprint: fingerprint, hostile, verify, hook, tamper, bypass, behavior, sensor, events, protect, files, daemon, engines, config)"
if [ "$asan_ok" = 1 ]; then
	IMPRINT=build-asan/imprint \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		bats_tests asan tests/integration/fingerprint.bats tests/integration/hostile.bats \
			tests/integration/verify.bats tests/integration/hook.bats tests/integration/tamper.bats \
			tests/integration/bypass.bats tests/integration/behavior.bats tests/integration/sensor.bats \
			tests/integration/events.bats tests/integration/protect.bats \
			tests/integration/files.bats tests/integration/daemon.bats \
			tests/integration/engines.bats tests/integration/config.bats
fi

echo
for p in "${problems[@]}"; do
	echo "FAILED: $p"
done
[ "$skipped" -eq 0 ] || echo "($skipped skipped)"
echo "logs: $logs"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "${#problems[@]}" -eq 0 ]
