#!/usr/bin/env bats
# The eBPF sensor on the real kernel with real podman containers: learning a behavioral
# fingerprint, learning it again byte for byte, drift alerts, host processes left out, storms.

load ../lib/common

# The workload: a listener, a file read, a connection to the listener. With DRIFT set it also
# reads /etc/shadow (a shell redirection: no new program), and runs a binary that is not in the
# image (/tmp/busybox, a copy bind-mounted in) which connects to a new port: three drifts, no
# more. The image has no /etc/shadow: one is bind-mounted, read only in the drift run.
SCRIPT='nc -l -p 9000 >/dev/null & sleep 1; cat /etc/passwd >/dev/null; echo hi | nc 127.0.0.1 9000; wait
if [ -n "$DRIFT" ]; then read -r x </etc/shadow; /tmp/busybox nc 127.0.0.1 9001 </dev/null; fi; true'

setup_file() {
	images busybox special
	need "no BTF at /sys/kernel/btf/vmlinux" test -e /sys/kernel/btf/vmlinux
	export EVIL=$BATS_FILE_TMPDIR/evil-dir WORKLOAD=$BATS_FILE_TMPDIR/workload.sh
	mkdir -p "$EVIL"
	cp "$(unpacked busybox)/bin/busybox" "$EVIL/busybox"
	echo 'root:*:19000:0:99999:7:::' >"$BATS_FILE_TMPDIR/shadow"
	# the workload as one command, for `imprint learn -- COMMAND`; DRIFT=1 in the environment
	# turns the drift on
	cat >"$WORKLOAD" <<-EOF
		#!/bin/sh
		exec podman --root '$IMAGES/storage' --runroot '$IMAGES/run' --storage-driver overlay \\
			run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \\
			-v '$EVIL:/tmp:ro' -v '$BATS_FILE_TMPDIR/shadow:/etc/shadow:ro' \${DRIFT:+-e DRIFT=1} --entrypoint /bin/sh localhost/busybox:latest \\
			-c '$SCRIPT'
	EOF
	chmod +x "$WORKLOAD"
}

setup() {
	W=$BATS_TEST_TMPDIR
	cd "$W"
}

learn() {
	"$IMPRINT" learn --image localhost/busybox:latest --storage-root "$IMAGES/storage" \
		--out "$1" -- "$WORKLOAD"
}

@test "learn: the fingerprint has exactly the programs, files and connection of the workload" {
	# a container of another image running meanwhile is not learned
	tpodman run -d --name "other-$$" --network none --ulimit nofile=1024:1024 \
		--ulimit nproc=4096:4096 --entrypoint /bin/sh localhost/special:latest \
		-c 'while true; do cat /etc/passwd >/dev/null; sleep 0.2; done' >/dev/null
	run learn a.json
	tpodman rm -f -t 0 "other-$$" >/dev/null 2>&1 || true
	[ "$status" -eq 0 ] || fail "$output"
	jq -e '.kind == "Fingerprint" and .apiVersion == "rad.ksoc.com/v1alpha1"' a.json >/dev/null
	[ "$(jq '.containers | length' a.json)" = 1 ]
	root='.containers[0].entrypoint.process'
	[ "$(jq -r "$root.programs[0].args[0:2] | join(\" \")" a.json)" = "/bin/sh -c" ]
	# children: nc -l, sleep, cat, nc (sorted canonically)
	run jq -r "[$root.children[].programs[].args | join(\" \")] | sort | join(\"|\")" a.json
	[ "$output" = "cat /etc/passwd|nc -l -p 9000|nc 127.0.0.1 9000|sleep 1" ] || fail "$output"
	run jq -r "[$root.children[] | select(.programs[0].args[0] == \"cat\") | .files[].path] | join(\" \")" a.json
	[ "$output" = /etc/passwd ] || fail "$output"
	run jq -r "[.. | objects | select(has(\"connections\")) | .connections[] | \"\(.address):\(.port)\"] | join(\" \")" a.json
	[ "$output" = 127.0.0.1:9000 ] || fail "$output"
	run jq -r "[.. | objects | select(has(\"listening\")) | .listening[]] | map(tostring) | join(\" \")" a.json
	[[ "$output" == *9000* ]] || fail "listening: $output"
	jq -e '.. | objects | select(has("uid")) | .uid == 0' a.json >/dev/null
	# nothing from the host: no podman, conmon or runc program anywhere
	! jq -r '.. | objects | select(has("comm")) | .comm' a.json | grep -E '^(podman|conmon|runc|bash)$'
}

@test "learn: learning the same workload twice gives a byte-identical file" {
	export SOURCE_DATE_EPOCH=1795000000 # the creation time, else the only difference
	learn a.json
	learn b.json
	cmp a.json b.json || fail "$(diff a.json b.json)"
	[ "$(jq -r .metadata.creationTimestamp a.json)" = 2026-11-18T11:06:40Z ]
	[ "$(jq -r '.containers[0].name' a.json)" = busybox ]
}

@test "watch: an extra program, a read of /etc/shadow and a new port are exactly three alerts" {
	mkdir fps
	learn fps/busybox.json
	"$IMPRINT" watch --fingerprints fps --storage-root "$IMAGES/storage" --duration 25 >alerts.jsonl &
	local watcher=$!
	sleep 2
	DRIFT=1 "$WORKLOAD" >/dev/null 2>&1 || true
	wait $watcher
	run jq -r '.rule' alerts.jsonl
	[ "$(jq -s length alerts.jsonl)" = 3 ] || fail "alerts: $(cat alerts.jsonl)"
	jq -se 'any(.[]; .rule == "Program not in behavioral fingerprint" and .output_fields."proc.cmdline" == "/tmp/busybox nc 127.0.0.1 9001")' alerts.jsonl >/dev/null
	jq -se 'any(.[]; .rule == "File opened outside behavioral fingerprint" and .output_fields."fd.name" == "/etc/shadow")' alerts.jsonl >/dev/null
	jq -se 'any(.[]; .rule == "Connection not in behavioral fingerprint" and .output_fields."fd.name" == "127.0.0.1:9001")' alerts.jsonl >/dev/null
	# Falco's shape
	jq -se 'all(.[]; .time and .priority == "Warning" and .output and .output_fields."container.id" and .output_fields."container.image" == "localhost/busybox:latest")' alerts.jsonl >/dev/null
}

@test "watch: the same workload without drift raises nothing; a container without fingerprint is reported once" {
	mkdir fps
	learn fps/busybox.json
	"$IMPRINT" watch --fingerprints fps --storage-root "$IMAGES/storage" --duration 20 >alerts.jsonl &
	local watcher=$!
	sleep 2
	"$WORKLOAD" >/dev/null 2>&1
	tpodman run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
		--entrypoint /bin/sh localhost/special:latest -c 'cat /etc/passwd; ls /; true' >/dev/null 2>&1 || true
	wait $watcher
	run jq -r .rule alerts.jsonl
	[ "$output" = "Container without behavioral fingerprint" ] || fail "$(cat alerts.jsonl)"
}

@test "sensor: an exec storm and an open storm in a container do not break it; losses are counted" {
	run "$IMPRINT" learn --image localhost/busybox:latest --storage-root "$IMAGES/storage" --out s.json -- \
		podman --root "$IMAGES/storage" --runroot "$IMAGES/run" --storage-driver overlay run --rm \
		--network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 --entrypoint /bin/sh \
		localhost/busybox:latest -c 'i=0; while [ $i -lt 10000 ]; do /bin/true; i=$((i+1)); done
			i=0; while [ $i -lt 20000 ]; do read -r x </etc/passwd; i=$((i+1)); done; true'
	[ "$status" -eq 0 ] || fail "$output"
	# 10,000 identical execs fold into one node with its count; the file into one entry
	run jq -r '.. | objects | select(.programs? and (.programs[0].args == ["/bin/true"])) | .count' s.json
	[ "$output" -ge 10000 ] || fail "count: $output"
	complete=$(jq -r 'if .imprint then .imprint.complete else true end' s.json)
	lost=$(jq -r '.imprint.lostEvents // 0' s.json)
	if [ "$lost" -gt 0 ]; then [ "$complete" = false ]; else [ "$complete" = true ]; fi
}
