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
	SYNC=$W/sync
	mkdir -p "$SYNC"
	cd "$W"
}

learn() {
	"$IMPRINT" learn --image localhost/busybox:latest --storage-root "$IMAGES/storage" \
		--out "$1" -- "$WORKLOAD"
}

# box NAME [PODMAN-ARGS...] -- SCRIPT: run SCRIPT in a container of $BOX (default busybox)
# named NAME (removed when it ends; its id in $W/NAME.cid), with $SYNC mounted at /sync.
box() {
	local name=$1
	shift
	local args=()
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	tpodman run --name "$name" --cidfile "$W/$name.cid" --rm --network none \
		--ulimit nofile=1024:1024 --ulimit nproc=4096:4096 -v "$SYNC:/sync" "${args[@]}" \
		--entrypoint /bin/sh "localhost/${BOX:-busybox}:latest" -c "$1"
}

# ours ALERTS NAME...: the alerts about the containers box started with these names (other
# tests may run containers of the same image meanwhile: watch sees every container).
ours() {
	local f=$1 ids=()
	shift
	for n in "$@"; do ids+=("$(cat "$W/$n.cid")"); done
	jq -c 'select(.output_fields."container.id" as $c | $ARGS.positional | index($c))' \
		--args "${ids[@]}" <"$f"
}

# until_log NAME TEXT: wait (at most 60 s) until container NAME has printed TEXT.
until_log() {
	for _ in $(seq 600); do
		tpodman logs "$1" 2>/dev/null | grep -qx "$2" && return 0
		sleep 0.1
	done
	fail "container $1 never printed $2: $(tpodman logs "$1" 2>&1)"
}

image_id() {
	tpodman image inspect --format '{{.Id}}' localhost/busybox:latest
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
	# two incidents: the dropped program and the connection it made are one (the program
	# opened it), the read of /etc/shadow by the learned shell is another
	[ "$(jq -r '.output_fields."imprint.incident"' alerts.jsonl | sort -u | wc -l)" = 2 ] ||
		fail "incidents: $(cat alerts.jsonl)"
	prog=$(jq -r 'select(.rule == "Program not in behavioral fingerprint") | .output_fields."imprint.incident"' alerts.jsonl)
	conn=$(jq -r 'select(.rule == "Connection not in behavioral fingerprint") | .output_fields."imprint.incident"' alerts.jsonl)
	[ "$prog" = "$conn" ] && [[ "$prog" =~ ^[0-9a-f]{16}$ ]] || fail "$(cat alerts.jsonl)"
	jq -se 'any(.[]; .rule == "Program not in behavioral fingerprint" and .output_fields."imprint.incident.first" == true) and
		any(.[]; .rule == "Connection not in behavioral fingerprint" and .output_fields."imprint.incident.first" == false) and
		any(.[]; .rule == "File opened outside behavioral fingerprint" and .output_fields."imprint.incident.first" == true)' alerts.jsonl >/dev/null ||
		fail "$(cat alerts.jsonl)"
}

@test "watch: a diverged program's subtree is one incident: the programs it starts and what they open" {
	mkdir fps
	learn fps/busybox.json
	"$IMPRINT" watch --fingerprints fps --storage-root "$IMAGES/storage" --duration 20 >alerts.jsonl &
	local watcher=$!
	sleep 2
	# an unlearned shell that starts two unlearned programs, one reading an unlearned file
	box incident -- 'sh -c "ls / >/dev/null; cat /etc/group >/dev/null"; true' >/dev/null
	wait $watcher
	ours alerts.jsonl incident >ours.jsonl
	[ "$(jq -s length ours.jsonl)" -ge 3 ] || fail "alerts: $(cat ours.jsonl)"
	[ "$(jq -r '.output_fields."imprint.incident"' ours.jsonl | sort -u | wc -l)" = 1 ] ||
		fail "more than one incident: $(cat ours.jsonl)"
	[ "$(jq -s '[.[] | select(.output_fields."imprint.incident.first")] | length' ours.jsonl)" = 1 ] ||
		fail "$(cat ours.jsonl)"
	jq -se 'any(.[]; .output_fields."proc.cmdline" == "cat /etc/group")' ours.jsonl >/dev/null ||
		fail "$(cat ours.jsonl)"
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
	# its image, from containers-storage as learn --image finds it
	jq -e --arg id "$(tpodman image inspect --format '{{.Id}}' localhost/special:latest)" \
		'.priority == "Notice" and .output_fields."container.image" == "localhost/special:latest" and .output_fields."container.image.id" == $id' \
		alerts.jsonl >/dev/null || fail "$(cat alerts.jsonl)"
	[[ "$(jq -r .output alerts.jsonl)" == *"image=localhost/special:latest not watched"* ]]
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

@test "watch: a file is judged by the process that learned it, not by the container" {
	# learned: cat reads /etc/passwd. Drift: the shell itself reads it (a redirection, no new
	# program): one alert, for the file. (The special image: other tests run busybox
	# containers meanwhile, and learn --image would learn them too.)
	local script='cat /etc/passwd >/dev/null; if [ -n "$DRIFT" ]; then read -r x </etc/passwd; fi; true'
	mkdir fps
	run "$IMPRINT" learn --image localhost/special:latest --storage-root "$IMAGES/storage" \
		--out fps/special.json -- podman --root "$IMAGES/storage" --runroot "$IMAGES/run" \
		--storage-driver overlay run --rm --network none --ulimit nofile=1024:1024 \
		--ulimit nproc=4096:4096 --entrypoint /bin/sh localhost/special:latest -c "$script"
	[ "$status" -eq 0 ] || fail "$output"
	run jq -r '.containers[0].entrypoint.process.children[] | select(.programs[0].args[0] == "cat") | .files[].path' fps/special.json
	[ "$output" = /etc/passwd ] || fail "learned: $(cat fps/special.json)"
	"$IMPRINT" watch --fingerprints fps --storage-root "$IMAGES/storage" --duration 15 >alerts.jsonl &
	local watcher=$!
	sleep 2
	BOX=special box "same-$$" -- "$script" >/dev/null 2>&1
	BOX=special box "drift-$$" -e DRIFT=1 -- "$script" >/dev/null 2>&1
	wait $watcher
	ours alerts.jsonl "same-$$" "drift-$$" >ours.jsonl
	[ "$(jq -s length ours.jsonl)" = 1 ] || fail "alerts: $(cat alerts.jsonl)"
	jq -e --arg id "$(cat "drift-$$.cid")" '.rule == "File opened outside behavioral fingerprint" and
		.output_fields."fd.name" == "/etc/passwd" and .output_fields."container.id" == $id' \
		ours.jsonl >/dev/null || fail "$(cat alerts.jsonl)"
}

@test "watch: events the sensor lost are one alert per container with the count, not one per event" {
	# The watcher is stopped while the container opens 20,000 new files: the 4 MiB ring buffer
	# fills and the kernel counts what it cannot send. The fingerprint, written by hand, allows
	# the workload (its files are /tmp/*), so the loss is the only thing to report.
	local script='while [ ! -e /sync/go ]; do sleep 0.1; done
i=0; while [ $i -lt 20000 ]; do : >/tmp/f$i; i=$((i+1)); done; echo done; sleep 60'
	mkdir fps
	jq -n --arg id "sha256:$(image_id)" --arg script "$script" '{kind: "Fingerprint",
		apiVersion: "rad.ksoc.com/v1alpha1", containers: [{name: "busybox",
		imageName: "localhost/busybox:latest", imageDigest: $id, entrypoint: {process: {
		uid: 0, gid: 0, programs: [{comm: "sh", args: ["/bin/sh", "-c", $script]}],
		files: [{path: "/tmp/*"}], children: [
		  {uid: 0, gid: 0, programs: [{comm: "sleep", args: ["sleep", "0.1"]}]},
		  {uid: 0, gid: 0, programs: [{comm: "sleep", args: ["sleep", "60"]}]}]}}}]}' \
		>fps/busybox.json
	"$IMPRINT" watch --fingerprints fps --storage-root "$IMAGES/storage" --duration 40 >alerts.jsonl &
	local watcher=$!
	sleep 2
	box "lost-$$" --tmpfs /tmp -- "$script" >/dev/null 2>&1 &
	sleep 3
	kill -STOP $watcher
	touch "$SYNC/go"
	until_log "lost-$$" done
	kill -CONT $watcher
	sleep 3
	tpodman rm -f -t 0 "lost-$$" >/dev/null 2>&1 || true
	kill -TERM $watcher
	wait $watcher || true
	ours alerts.jsonl "lost-$$" >ours.jsonl
	run jq -c 'select(.rule == "Sensor events lost")' ours.jsonl
	[ "${#lines[@]}" -eq 1 ] || fail "alerts: $(cat alerts.jsonl)"
	echo "$output" | jq -e '.priority == "Warning" and .source == "imprint" and
		.output_fields."imprint.lost_events" > 1000 and
		.output_fields."imprint.lost_events" == .output_fields."imprint.lost_events_total" and
		.output_fields."container.image" == "localhost/busybox:latest"' >/dev/null || fail "$output"
	# nothing else: every file the workload opened is allowed
	[ "$(jq -s length ours.jsonl)" = 1 ] || fail "alerts: $(cat alerts.jsonl)"
}

@test "learn: podman exec sessions are RAD's exec entry, not children of the entrypoint; watch knows them" {
	# (the special image, as above)
	cat >"$W/exec.sh" <<-EOF
		#!/bin/sh
		p() { podman --root '$IMAGES/storage' --runroot '$IMAGES/run' --storage-driver overlay "\$@"; }
		p run -d --name 'ex-$$' --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \\
			--entrypoint /bin/sh localhost/special:latest -c 'sleep 4; cat /etc/passwd >/dev/null; true' >/dev/null
		sleep 1
		p exec 'ex-$$' /bin/sh -c 'cat /etc/group >/dev/null; true'
		p wait 'ex-$$' >/dev/null
		p rm 'ex-$$' >/dev/null
	EOF
	chmod +x "$W/exec.sh"
	mkdir fps
	run "$IMPRINT" learn --image localhost/special:latest --storage-root "$IMAGES/storage" \
		--out fps/special.json -- "$W/exec.sh"
	[ "$status" -eq 0 ] || fail "$output"
	f=fps/special.json
	jq -e '.containers[0].exec.process | (has("uid") | not) and .programs == [{"comm": "exec"}]' $f >/dev/null || fail "$(cat $f)"
	run jq -r '.containers[0].exec.process.children[] | [(.programs[0].args | join(" ")), .children[0].programs[0].args[0], .children[0].files[0].path] | join("|")' $f
	[ "$output" = "/bin/sh -c cat /etc/group >/dev/null; true|cat|/etc/group" ] || fail "$(cat $f)"
	# the entrypoint's tree has only its own: sleep and cat /etc/passwd
	run jq -r '[.containers[0].entrypoint.process.children[].programs[0].args | join(" ")] | sort | join("|")' $f
	[ "$output" = "cat /etc/passwd|sleep 4" ] || fail "$(cat $f)"
	# watch: the learned session raises nothing; another one is a new program
	"$IMPRINT" watch --fingerprints fps --storage-root "$IMAGES/storage" --duration 20 >alerts.jsonl &
	local watcher=$!
	sleep 2
	BOX=special box "ex2-$$" -d -- 'sleep 4; cat /etc/passwd >/dev/null; true' >/dev/null
	sleep 1
	tpodman exec "ex2-$$" /bin/sh -c 'cat /etc/group >/dev/null; true'
	tpodman exec "ex2-$$" /bin/sh -c 'cat /etc/hostname >/dev/null; true'
	tpodman wait "ex2-$$" >/dev/null 2>&1 || true
	wait $watcher
	ours alerts.jsonl "ex2-$$" >ours.jsonl
	# the unknown session: its shell, its cat and the file cat read; nothing of the rest
	run jq -r 'select(.rule == "Program not in behavioral fingerprint") | .output_fields."proc.cmdline"' ours.jsonl
	[ "$output" = "/bin/sh -c cat /etc/hostname >/dev/null; true
cat /etc/hostname" ] || fail "alerts: $(cat alerts.jsonl)"
	run jq -r 'select(.rule != "Program not in behavioral fingerprint") | "\(.rule): \(.output_fields."fd.name")"' ours.jsonl
	[ "$output" = "File opened outside behavioral fingerprint: /etc/hostname" ] || fail "alerts: $(cat alerts.jsonl)"
}

@test "learn: what a process does after its exec was lost is left out and counted, not misplaced" {
	# (The special image, as above.) The learner is stopped during an exec storm; a shell started then (its exec lost) later
	# runs cat and reads a file itself, with the learner running again. Where they belong is
	# unknown: they are not put under the entrypoint, they are counted, and the file is
	# incomplete.
	local script='while [ ! -e /sync/go ]; do sleep 0.1; done
i=0; while [ $i -lt 9000 ]; do /bin/true $i; i=$((i+1)); done
sh -c "while [ ! -e /sync/go2 ]; do sleep 0.1; done; cat /etc/group >/dev/null; read -r x </etc/hostname" &
echo done; wait'
	cat >"$W/storm.sh" <<-EOF
		#!/bin/sh
		exec podman --root '$IMAGES/storage' --runroot '$IMAGES/run' --storage-driver overlay \\
			run --name 'storm-$$' --rm --network none --ulimit nofile=1024:1024 \\
			--ulimit nproc=4096:4096 -v '$SYNC:/sync' --entrypoint /bin/sh \\
			localhost/special:latest -c '$script'
	EOF
	chmod +x "$W/storm.sh"
	"$IMPRINT" learn --image localhost/special:latest --storage-root "$IMAGES/storage" \
		--out s.json -- "$W/storm.sh" >learn.out 2>learn.err &
	local learner=$!
	sleep 4
	kill -STOP $learner
	touch "$SYNC/go"
	until_log "storm-$$" done
	kill -CONT $learner
	sleep 2
	touch "$SYNC/go2"
	wait $learner || fail "$(cat learn.err)"
	grep -E '^imprint: learn: [0-9]+ events of processes whose exec was lost left out$' learn.err ||
		fail "$(cat learn.err)"
	[ "$(grep -Eo '^imprint: learn: [0-9]+ events of processes' learn.err | grep -Eo '[0-9]+')" -ge 3 ]
	jq -e '.imprint.complete == false and .imprint.lostEvents > 0' s.json >/dev/null
	# cat and the files it and its shell read are nowhere in the tree
	! jq -r '.. | objects | select(has("comm")) | .args[0]' s.json | grep -qx cat
	! jq -r '.. | objects | select(has("path")) | .path' s.json | grep -E '^/etc/(group|hostname)$'
	jq -e '.containers[0] | has("exec") | not' s.json >/dev/null
}

@test "watch: a process that exec'd twice is matched whatever the order of its programs" {
	# sh execs sh (one process, two programs); the fingerprint keeps programs sorted, the
	# kernel chains them in exec order: the same workload raises nothing, and a new program
	# under the second shell is still seen. (The special image, as above.)
	local script="exec /bin/sh -c 'cat /etc/passwd >/dev/null; if [ -n \"\$DRIFT\" ]; then cat /etc/group >/dev/null; fi; true'"
	mkdir fps
	run "$IMPRINT" learn --image localhost/special:latest --storage-root "$IMAGES/storage" \
		--out fps/special.json -- podman --root "$IMAGES/storage" --runroot "$IMAGES/run" \
		--storage-driver overlay run --rm --network none --ulimit nofile=1024:1024 \
		--ulimit nproc=4096:4096 --entrypoint /bin/sh localhost/special:latest -c "$script"
	[ "$status" -eq 0 ] || fail "$output"
	# one process, two programs, sorted (the second exec first)
	run jq -r '.containers[0].entrypoint.process.programs | map(.args[2]) | join("|")' fps/special.json
	[ "$output" = "cat /etc/passwd >/dev/null; if [ -n \"\$DRIFT\" ]; then cat /etc/group >/dev/null; fi; true|$script" ] ||
		fail "$(cat fps/special.json)"
	"$IMPRINT" watch --fingerprints fps --storage-root "$IMAGES/storage" --duration 15 >alerts.jsonl &
	local watcher=$!
	sleep 2
	BOX=special box "same-$$" -- "$script" >/dev/null 2>&1
	BOX=special box "drift-$$" -e DRIFT=1 -- "$script" >/dev/null 2>&1
	wait $watcher
	ours alerts.jsonl "same-$$" >same.jsonl
	[ ! -s same.jsonl ] || fail "alerts: $(cat alerts.jsonl)"
	ours alerts.jsonl "drift-$$" >drift.jsonl
	run jq -r 'select(.rule == "Program not in behavioral fingerprint") | .output_fields."proc.cmdline"' drift.jsonl
	[ "$output" = "cat /etc/group" ] || fail "alerts: $(cat alerts.jsonl)"
}
