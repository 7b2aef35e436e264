#!/usr/bin/env bats
# imprint protect on the real kernel with real podman containers (docs/protect.md): what it
# says it does at start-up, bpffs mounted where none is, a tree-aware fingerprint (programs
# under the parents they were learned under), the decision watchdog, the end of protection with
# the container, a plain runc container, the kernel behavior docs/protect.md relies on, usage
# errors. The attacks (the bypass matrix, docs/bypass-matrix.md) are tried in bypass.bats.
#
# The containers are busybox, with the static helper `probe` of tests/lib/protect.bash
# bind-mounted from the host at /h and allowed explicitly with --allow-exec /h/probe: a file
# from outside the image.

load ../lib/common
load ../lib/protect

setup_file() {
	images busybox
	skip_unless gcc
	need "no BTF at /sys/kernel/btf/vmlinux" test -e /sys/kernel/btf/vmlinux
	export HELPERS=$BATS_FILE_TMPDIR/helpers
	mkdir -p "$HELPERS"
	build_probe "$HELPERS"
	# the same program made slow to hash (sparse zeros after the ELF image still run)
	cp "$HELPERS/probe" "$HELPERS/big"
	truncate -s 400M "$HELPERS/big"
	# pins of this run only, so nothing else on the host is touched
	export PIN=/sys/fs/bpf/imprint-test-$$
}

setup() {
	W=$BATS_TEST_TMPDIR
	cd "$W"
	CID=$(tpodman run -d --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
		--cap-add NET_RAW --sysctl net.ipv4.ping_group_range="0 2147483647" \
		-v "$HELPERS:/h:ro" --entrypoint /bin/sh localhost/busybox:latest -c 'sleep 1000')
	PROTECT_PID=
}

teardown() {
	protect_teardown
}

# start_protect MODE [ARGS...]: protect $CID in the background; output in out.json and
# err.txt; returns once the start line is out.
start_protect() {
	local mode=$1
	shift
	protect_start --mode "$mode" --allow-exec /h/probe "$@"
}

# container_cgroup: the container's cgroup v2 directory.
container_cgroup() {
	local pid
	pid=$(tpodman inspect -f '{{.State.Pid}}' "$CID")
	echo "/sys/fs/cgroup/unified$(sed -n 's/^0:://p' "/proc/$pid/cgroup")"
}

@test "protect: says which layers are active, BPF-LSM probed" {
	start_protect enforce
	grep -q 'fanotify exec (FAN_OPEN_EXEC_PERM on [1-9][0-9]* mounts)' err.txt || fail "$(cat err.txt)"
	grep -q 'bpf exec (tp_btf/sched_process_exec, [1-9][0-9]* executables, attached and pinned)' err.txt
	grep -q 'bpf net (off: no rules)' err.txt
	grep -q 'BPF-LSM: ' err.txt
	[ -e "$PIN/guard_exec" ] && [ -e "$PIN/guard_allowed" ]
	stop_protect
	# a deliberate stop leaves nothing behind
	[ ! -e "$PIN" ] || fail "pins left: $(ls "$PIN")"
}

@test "protect mounts bpffs on /sys/fs/bpf where none is mounted, as bpftool does" {
	# in a mount namespace of its own, so the host's bpffs (if any) is left alone
	run env CID="$CID" unshare -m --propagation private bash -c '
		while [ "$(stat -f -c %T /sys/fs/bpf)" = bpf_fs ]; do umount /sys/fs/bpf || exit 9; done
		echo "before: $(stat -f -c %T /sys/fs/bpf)"
		"$IMPRINT" protect --container "$CID" --storage-root "$IMAGES/storage" \
			--pin-dir /sys/fs/bpf/imprint-mnt --json --mode enforce >out.json 2>err.txt &
		for _ in $(seq 100); do grep -q protect_started out.json && break; sleep 0.2; done
		echo "after: $(stat -f -c %T /sys/fs/bpf) $(stat -c %a /sys/fs/bpf)"
		ls /sys/fs/bpf/imprint-mnt
		kill -TERM $! && wait $!'
	[ "$status" -eq 0 ] || fail "$output" "$(cat err.txt)"
	assert_contains "before: sysfs"
	[[ "$output" =~ "after: bpf_fs "1?700 ]] || fail "bpffs not mounted mode 0700:" "$output"
	assert_contains guard_exec
}

# A learned tree as busybox really runs it (its shell runs applets in-process unless given a
# path: only programs it executes count): the shell, a nested shell, cat, and env running
# cat. Not learned: a shell started by env.
BEHAVIOR='{"kind":"Fingerprint","apiVersion":"rad.ksoc.com/v1alpha1","containers":[{"name":"busybox","imageName":"localhost/busybox:latest",
 "entrypoint":{"process":{"uid":0,"gid":0,"programs":[{"comm":"sh","args":["/bin/sh","-c","sleep 1000"]}],
  "children":[
   {"uid":0,"gid":0,"programs":[{"comm":"sh","args":["sh","-c","true"]}]},
   {"uid":0,"gid":0,"programs":[{"comm":"env","args":["/bin/env","cat"]},{"comm":"cat","args":["cat"]}]},
   {"uid":0,"gid":0,"programs":[{"comm":"cat","args":["cat","/etc/hostname"]}]},
   {"uid":0,"gid":0,"programs":[{"comm":"nc","args":["nc"]}],"connections":[{"address":"127.0.0.1","port":9000,"protocol":"tcp"}]}]}}}]}'

@test "tree-aware: a program runs only under the parent it was learned under" {
	echo "$BEHAVIOR" >fp.json
	start_protect enforce --behavior fp.json
	grep -q 'tree-aware' err.txt
	# (every applet is a symlink to /bin/busybox: a program is named by the argv[0] it is
	# started with, not by the file opened)
	cexec 'sh -c "echo nested-sh" && /bin/env cat /etc/hostname >/dev/null && echo cat-ok'
	assert_status 0
	assert_contains nested-sh
	assert_contains cat-ok
	assert_no_alerts
	# sh is learned under sh, not under env
	cexec '/bin/env sh -c "echo under-env"'
	[[ "$output" != *under-env* ]] || fail "$output"
	assert_alert "exec_not_allowed deny fanotify /bin/busybox unlearned_parent"
	# connections come from the fingerprint too
	cexec 'nc 10.1.2.3 80 </dev/null'
	assert_contains "Operation not permitted"
	assert_alert "connect_not_allowed deny bpf-net 10.1.2.3:80 unlearned_destination"
}

@test "tree-aware monitor: the shell under the wrong parent runs and is reported" {
	echo "$BEHAVIOR" >fp.json
	start_protect monitor --behavior fp.json
	cexec '/bin/env sh -c "echo under-env"'
	assert_contains under-env
	assert_alert "exec_not_allowed would-deny fanotify /bin/busybox unlearned_parent"
}

# Hashing 400 MB takes a few hundred ms: longer than a 20 ms decision timeout.
@test "watchdog: a decision that takes too long is answered (deny in enforce mode)" {
	start_protect enforce --allow-exec /h/big --decision-timeout 20
	cexec '/h/big; echo rc=$?'
	assert_contains rc=126
	assert_contains "Operation not permitted"
	grep -q '"exec_decision_timeout"' out.json || fail "$(cat out.json)"
	# the protector is fine and decides the next exec normally
	cexec 'ls / >/dev/null && echo fine'
	assert_contains fine
}

@test "watchdog: in monitor mode a late decision allows" {
	start_protect monitor --allow-exec /h/big --decision-timeout 20
	cexec '/h/big; echo rc=$?'
	assert_contains usage:
	assert_contains rc=2
	grep -q '"exec_decision_timeout"' out.json || fail "$(cat out.json)"
}

@test "protect ends when the container exits, and leaves no pins" {
	start_protect enforce --allow-net 127.0.0.1:9000
	[ -e "$PIN/net-$(stat -c %i "$(container_cgroup)")-connect4" ] || fail "$(ls "$PIN")"
	tpodman stop -t 0 "$CID" >/dev/null
	for _ in $(seq 50); do
		kill -0 "$PROTECT_PID" 2>/dev/null || break
		sleep 0.2
	done
	run wait "$PROTECT_PID"
	PROTECT_PID=
	assert_status 0
	grep -q 'stopped (container exited)' err.txt || fail "$(cat err.txt)"
	[ ! -e "$PIN" ] || fail "pins left: $(ls "$PIN")"
}

@test "runc: a plain runc container, found by its state, allowlist from the image" {
	skip_unless runc
	cp -a "$(unpacked busybox)" "$W/rootfs"
	(cd "$W" && runc spec)
	jq '.process.args = ["sleep", "1000"] | .process.terminal = false | .root.readonly = false' \
		"$W/config.json" >"$W/c.json"
	mv "$W/c.json" "$W/config.json"
	(cd "$W" && runc --root "$W/runc" run -d "rc-$$" </dev/null >/dev/null 2>&1)
	"$IMPRINT" protect --container "rc-$$" --runc-root "$W/runc" --pin-dir "$PIN" --json \
		--fingerprint "oci:$IMAGES/busybox:latest" >>out.json 2>>err.txt &
	PROTECT_PID=$!
	for _ in $(seq 100); do
		grep -q '"protect_started"' out.json 2>/dev/null && break
		sleep 0.2
	done
	run runc --root "$W/runc" exec "rc-$$" sh -c 'ls / >/dev/null && echo fine; cp /bin/busybox /tmp/busybox && /tmp/busybox echo dropped-ran; echo rc=$?'
	stop_protect
	runc --root "$W/runc" delete -f "rc-$$" >/dev/null 2>&1 || true
	assert_contains fine
	assert_contains rc=126
	[[ "$output" != *dropped-ran* ]] || fail "$output"
	assert_alert "exec_not_allowed deny fanotify /tmp/busybox not_in_image"
}

# docs/protect.md relies on this kernel behavior: when the fanotify group goes away (the fd
# closed, or the process killed) with a permission event unanswered, the exec goes on.
@test "kernel: pending fanotify permission events are allowed when the group dies" {
	cat >"$W/pending.c" <<-'C'
		#define _GNU_SOURCE
		#include <fcntl.h>
		#include <signal.h>
		#include <stdio.h>
		#include <stdlib.h>
		#include <sys/fanotify.h>
		#include <sys/wait.h>
		#include <unistd.h>
		int main(int argc, char **argv)
		{
			int killed = atoi(argv[2]), p[2], st;
			pipe(p);
			pid_t guard = fork();
			if (guard == 0) {
				int fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY);
				struct fanotify_event_metadata m;
				if (fd < 0 || fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_MOUNT,
							    FAN_OPEN_EXEC_PERM, AT_FDCWD, argv[1]) < 0)
					_exit(1);
				write(p[1], "r", 1);
				if (read(fd, &m, sizeof(m)) <= 0)
					_exit(1);
				sleep(2); /* the exec waits meanwhile */
				if (!killed)
					close(fd);
				pause(); /* never answers; killed by the parent */
			}
			char c;
			read(p[0], &c, 1);
			pid_t child = fork();
			if (child == 0) {
				execl(argv[1], argv[1], (char *)NULL);
				_exit(126);
			}
			sleep(1);
			/* the exec is still waiting for an answer */
			if (waitpid(child, &st, WNOHANG) != 0) {
				puts("not-pending");
				kill(guard, SIGKILL);
				return 1;
			}
			if (killed)
				kill(guard, SIGKILL);
			waitpid(child, &st, 0);
			printf("exit=%d\n", WEXITSTATUS(st));
			kill(guard, SIGKILL);
			waitpid(guard, NULL, 0);
			return 0;
		}
	C
	gcc -O2 -o "$W/pending" "$W/pending.c"
	mkdir "$W/mnt"
	mount -t tmpfs tmpfs "$W/mnt"
	cp /bin/true "$W/mnt/true"
	run timeout 20 "$W/pending" "$W/mnt/true" 0
	run2_status=$status
	run2_output=$output
	run timeout 20 "$W/pending" "$W/mnt/true" 1
	umount -l "$W/mnt"
	[ "$run2_status" -eq 0 ] && [ "$run2_output" = exit=0 ] || fail "fd closed: $run2_output"
	assert_status 0
	[ "$output" = exit=0 ] || fail "group killed: $output"
}

@test "protect: usage errors" {
	run "$IMPRINT" protect
	assert_status 2
	run "$IMPRINT" protect --container x --allow-net 10.0.0.0/33:80
	assert_status 2
	assert_contains "--allow-net wants"
	run "$IMPRINT" protect --container x --mode sometimes
	assert_status 2
	run "$IMPRINT" protect --help
	assert_status 0
	run "$IMPRINT" protect --container 0000000000000000000000000000000000000000000000000000000000000000 --pin-dir "$PIN"
	assert_error protect
	assert_contains "no running container"
}
