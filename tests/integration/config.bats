#!/usr/bin/env bats
# One configuration for every entry point (docs/cli.md, "Configuration"): imprint.conf and its
# drop-ins, then IMPRINT_* variables, then the command line; imprint-runc's leading
# --imprint-KEY=VALUE arguments (Docker's runtimeArgs), which runc never sees.

load ../lib/common

setup_file() {
	images busybox special
	skip_unless umoci
	# one bundle for every test (only read): busybox unpacked as runc would get it
	umoci unpack --image "$IMAGES/busybox:latest" "$BATS_FILE_TMPDIR/bundle" >/dev/null
}

setup() {
	W=$BATS_TEST_TMPDIR
	cd "$W"
	unset IMPRINT_POLICY_DIR IMPRINT_KEYS_DIR IMPRINT_STATE_DIR \
		IMPRINT_FINGERPRINT_DIR IMPRINT_MODE IMPRINT_AUDIT_LOG IMPRINT_RUNTIME IMPRINT_SOCKET
	mkdir -p keys allow.d deny.d state
	"$IMPRINT" keygen --out signer >/dev/null
	cp signer.pub keys/
	# allow.d pins busybox; deny.d holds a policy without it
	"$IMPRINT" policy init allow.json --name allow >/dev/null
	"$IMPRINT" policy add allow.json "oci:$IMAGES/busybox:latest" >/dev/null
	"$IMPRINT" policy sign allow.json --key signer.key -o allow.d/allow.dsse >/dev/null
	"$IMPRINT" policy init deny.json --name deny >/dev/null
	"$IMPRINT" policy add deny.json "oci:$IMAGES/special:latest" >/dev/null
	"$IMPRINT" policy sign deny.json --key signer.key -o deny.d/deny.dsse >/dev/null
	BUSYBOX=oci:$IMAGES/busybox:latest
	# the store, the audit log and a socket where no imprintd listens
	printf '%s\n' "# test configuration" "" "keys-dir = $W/keys" "state-dir = $W/state" \
		"audit-log = $W/audit.jsonl" "socket = $W/no-imprintd.sock" >base.conf
}

# conf FILE LINE...: FILE is base.conf plus LINEs
conf() {
	local f=$1
	shift
	{ cat base.conf; printf '%s\n' "$@"; } >"$f"
}

@test "config: imprint verify takes policy-dir from the file IMPRINT_CONFIG names" {
	conf imprint.conf "policy-dir = $W/allow.d"
	IMPRINT_CONFIG=$W/imprint.conf run "$IMPRINT" verify "$BUSYBOX"
	assert_status 0
	assert_contains "by policy allow"
	conf imprint.conf "policy-dir = $W/deny.d"
	IMPRINT_CONFIG=$W/imprint.conf run "$IMPRINT" verify "$BUSYBOX"
	assert_status 1
	# the audit log the file names
	[ "$(jq -r .verdict audit.jsonl | tr '\n' ' ')" = "allowed refused " ]
	# --config beats IMPRINT_CONFIG
	conf other.conf "policy-dir = $W/allow.d"
	IMPRINT_CONFIG=$W/imprint.conf run "$IMPRINT" verify --config "$W/other.conf" "$BUSYBOX"
	assert_status 0
}

@test "config: the drop-ins are read after the file, in the order of their names" {
	conf imprint.conf "policy-dir = $W/allow.d"
	mkdir imprint.conf.d
	echo "policy-dir = $W/allow.d" >imprint.conf.d/90-last.conf
	echo "policy-dir = $W/deny.d" >imprint.conf.d/10-first.conf
	echo "bogus = 1" >imprint.conf.d/notes.txt # not *.conf: not read
	IMPRINT_CONFIG=$W/imprint.conf run "$IMPRINT" verify "$BUSYBOX"
	assert_status 0
	mv imprint.conf.d/10-first.conf imprint.conf.d/99-deny.conf
	IMPRINT_CONFIG=$W/imprint.conf run "$IMPRINT" verify "$BUSYBOX"
	assert_status 1
	# IMPRINT_CONFIG='' reads no file at all
	IMPRINT_CONFIG= run "$IMPRINT" verify --keys-dir "$W/keys" --state-dir "$W/state" \
		--policy-dir "$W/allow.d" "$BUSYBOX"
	assert_status 0
}

@test "config: the environment overrides the file, and an option the environment" {
	conf imprint.conf "policy-dir = $W/deny.d"
	export IMPRINT_CONFIG=$W/imprint.conf
	IMPRINT_POLICY_DIR=$W/allow.d run "$IMPRINT" verify "$BUSYBOX"
	assert_status 0
	IMPRINT_POLICY_DIR=$W/allow.d run "$IMPRINT" verify --policy-dir "$W/deny.d" "$BUSYBOX"
	assert_status 1
	# mode too: monitor from the file, enforce from the environment
	conf imprint.conf "policy-dir = $W/deny.d" "mode = monitor"
	run "$IMPRINT" verify "$BUSYBOX"
	assert_status 0
	IMPRINT_MODE=enforce run "$IMPRINT" verify "$BUSYBOX"
	assert_status 1
}

@test "config: a key no entry point knows is an error that names the file and line" {
	conf imprint.conf "policy-dir = $W/allow.d" "bogus = 1"
	local line=$(($(wc -l <base.conf) + 2))
	run "$IMPRINT" verify --config "$W/imprint.conf" "$BUSYBOX"
	assert_error verify
	assert_contains "$W/imprint.conf:$line: unknown key 'bogus'"
	# the hook refuses the container (fails closed)
	run "$IMPRINT" hook --config "$W/imprint.conf" <<<"{\"id\": \"c1\", \"bundle\": \"$BATS_FILE_TMPDIR/bundle\"}"
	assert_status 1
	assert_contains "imprint.conf:$line: unknown key 'bogus'; the container is not started"
	# a bad value, and a file named but missing
	conf bad.conf "mode = monitr"
	run "$IMPRINT" status --config "$W/bad.conf"
	assert_error status
	assert_contains "bad.conf:$((line - 1)): mode must be enforce or monitor, not 'monitr'"
	run "$IMPRINT" events --config "$W/missing.conf"
	assert_error events
	assert_contains "missing.conf: No such file or directory"
	# keys only others use are fine: imprintd's events-db for the hook, runtime for verify
	conf imprint.conf "policy-dir = $W/allow.d" "events-db = $W/events.db" "runtime = /bin/false"
	run "$IMPRINT" verify --config "$W/imprint.conf" "$BUSYBOX"
	assert_status 0
}

@test "config: the hook reads the file: policy-dir, mode and audit-log without arguments" {
	conf imprint.conf "policy-dir = $W/allow.d"
	local state="{\"id\": \"c1\", \"bundle\": \"$BATS_FILE_TMPDIR/bundle\"}"
	IMPRINT_CONFIG=$W/imprint.conf run "$IMPRINT" hook <<<"$state"
	assert_status 0
	conf imprint.conf "policy-dir = $W/deny.d"
	IMPRINT_CONFIG=$W/imprint.conf run "$IMPRINT" hook <<<"$state"
	assert_status 1
	assert_contains "no policy allows root digest"
	IMPRINT_CONFIG=$W/imprint.conf run "$IMPRINT" hook --mode monitor <<<"$state"
	assert_status 0
	[ "$(jq -r '.event' audit.jsonl | sort -u)" = hook ]
	[ "$(wc -l <audit.jsonl)" -eq 3 ]
}

# a runc stand-in that records its arguments, one a line, and the configuration that names it
fake_runc() {
	printf '#!/bin/sh\nprintf "%%s\\n" "$@" >"%s/runc.args"\n' "$W" >fake-runc
	chmod +x fake-runc
	ln -sf "$IMPRINT" imprint-runc
}

@test "config: imprint-runc applies leading --imprint-KEY=VALUE arguments and hides them from runc" {
	fake_runc
	conf docker.conf "policy-dir = $W/deny.d" "runtime = $W/fake-runc"
	# enforce (the file): refused, runc never runs
	run ./imprint-runc "--imprint-config=$W/docker.conf" --root "$W/runc" create \
		--bundle "$BATS_FILE_TMPDIR/bundle" ctr1
	assert_status 1
	assert_contains "no policy allows root digest"
	[ ! -e runc.args ]
	# monitor (a runtimeArg): allowed, and runc gets its own arguments unchanged; an
	# --imprint- argument after the first of runc's is runc's
	run ./imprint-runc "--imprint-config=$W/docker.conf" --imprint-mode=monitor --root "$W/runc" \
		create --bundle "$BATS_FILE_TMPDIR/bundle" ctr1 --imprint-mode=enforce
	assert_status 0
	assert_eq "runc's arguments" \
		"$(printf '%s\n' --root "$W/runc" create --bundle "$BATS_FILE_TMPDIR/bundle" ctr1 --imprint-mode=enforce)" \
		"$(cat runc.args)"
	[ "$(tail -1 audit.jsonl | jq -r '"\(.allowed) \(.mode)"')" = "true monitor" ]
	# other commands pass through the same way
	run ./imprint-runc "--imprint-config=$W/docker.conf" --imprint-paranoid=yes --root /x list
	assert_status 0
	[ "$(cat runc.args | tr '\n' ' ')" = "--root /x list " ]
}

@test "config: imprint-runc refuses create and run with an unknown --imprint- key, warns otherwise" {
	fake_runc
	conf docker.conf "policy-dir = $W/allow.d" "runtime = $W/fake-runc"
	run ./imprint-runc "--imprint-config=$W/docker.conf" --imprint-mdoe=monitor create \
		--bundle "$BATS_FILE_TMPDIR/bundle" ctr1
	assert_status 1
	assert_contains "--imprint-mdoe=monitor: unknown key 'mdoe'"
	[ ! -e runc.args ]
	run --separate-stderr ./imprint-runc "--imprint-config=$W/docker.conf" --imprint-mdoe=monitor \
		state ctr1
	assert_status 0
	[[ "$stderr" == *"warning: --imprint-mdoe=monitor: unknown key 'mdoe'"* ]] || fail "$stderr"
	[ "$(cat runc.args | tr '\n' ' ')" = "state ctr1 " ]
	# the environment's IMPRINT_RUNTIME still works, and a runtimeArg beats it
	rm runc.args
	IMPRINT_CONFIG= IMPRINT_RUNTIME=/bin/false run ./imprint-runc "--imprint-runtime=$W/fake-runc" list
	assert_status 0
	[ "$(cat runc.args)" = list ]
}

@test "config: the shipped data/imprint.conf is valid, and so is every default it shows" {
	run "$IMPRINT" status --config "$TOP/data/imprint.conf" --socket "$W/none.sock"
	assert_status 3
	sed -E 's/^#([a-z-]+ =)/\1/' "$TOP/data/imprint.conf" >all.conf
	[ "$(grep -c '^[a-z]' all.conf)" -ge 22 ]
	run "$IMPRINT" status --config "$W/all.conf" --socket "$W/none.sock"
	assert_status 3
	assert_contains "$W/none.sock"
}
