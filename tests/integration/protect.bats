#!/usr/bin/env bats
# imprint protect on the real kernel with real podman containers (docs/protect.md): each
# attack is blocked and reported in enforce mode, allowed and reported in monitor mode;
# learned and allowed behavior works with no alert; the pinned kernel-side layer outlives a
# kill -9; a flood of denied execs does not freeze anything.
#
# The attacks run in a busybox container through `podman exec`. The helper `probe` (static C,
# compiled here) does what busybox cannot: an execveat() of a memfd, a UDP sendto() and an ICMP
# echo through a ping or a raw socket (the containers may make both: NET_RAW, ping_group_range). It is
# itself a file from outside the image, so it is bind-mounted from the host at /h and allowed
# explicitly with --allow-exec /h/probe (the memfd it executes is not).

load ../lib/common
load ../lib/protect

setup_file() {
	images busybox debian
	skip_unless gcc
	need "no BTF at /sys/kernel/btf/vmlinux" test -e /sys/kernel/btf/vmlinux
	export HELPERS=$BATS_FILE_TMPDIR/helpers
	mkdir -p "$HELPERS"
	cat >"$BATS_FILE_TMPDIR/probe.c" <<-'C'
		#define _GNU_SOURCE
		#include <arpa/inet.h>
		#include <fcntl.h>
		#include <stdio.h>
		#include <stdlib.h>
		#include <string.h>
		#include <sys/mman.h>
		#include <sys/socket.h>
		#include <sys/syscall.h>
		#include <unistd.h>
		extern char **environ;
		int main(int argc, char **argv)
		{
			if (argc >= 4 && strcmp(argv[1], "memfd") == 0) {
				int in = open(argv[2], O_RDONLY), fd = memfd_create("payload", 0);
				char buf[65536];
				ssize_t n;
				while ((n = read(in, buf, sizeof(buf))) > 0)
					if (write(fd, buf, n) != n)
						return 3;
				syscall(SYS_execveat, fd, "", argv + 3, environ, AT_EMPTY_PATH);
				perror("execveat");
				return 4;
			}
			if (argc == 4 && (strcmp(argv[1], "udp") == 0 || strcmp(argv[1], "tcp") == 0)) {
				int udp = argv[1][0] == 'u';
				int s = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
				struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[3])) };
				inet_pton(AF_INET, argv[2], &a.sin_addr);
				int r = udp ? (int)sendto(s, "x", 1, 0, (struct sockaddr *)&a, sizeof(a))
					    : connect(s, (struct sockaddr *)&a, sizeof(a));
				if (r < 0) {
					perror(argv[1]);
					return 1;
				}
				puts("sent");
				return 0;
			}
			if (argc == 3 && (strcmp(argv[1], "icmp") == 0 || strcmp(argv[1], "raw") == 0)) {
				/* an ICMP echo request: through a ping socket, or a raw one */
				unsigned char echo[8] = { 8, 0, 0xf7, 0xff, 0, 0, 0, 0 };
				int s = socket(AF_INET, argv[1][0] == 'r' ? SOCK_RAW : SOCK_DGRAM, IPPROTO_ICMP);
				struct sockaddr_in a = { .sin_family = AF_INET };
				if (s < 0) {
					perror(argv[1]);
					return 1;
				}
				inet_pton(AF_INET, argv[2], &a.sin_addr);
				if (sendto(s, echo, sizeof(echo), 0, (struct sockaddr *)&a, sizeof(a)) < 0) {
					perror("sendto");
					return 1;
				}
				puts("sent");
				return 0;
			}
			fprintf(stderr, "usage: probe memfd FILE ARGV0 ARGS... | udp|tcp ADDR PORT | icmp|raw ADDR\n");
			return 2;
		}
	C
	gcc -static -O2 -o "$HELPERS/probe" "$BATS_FILE_TMPDIR/probe.c"
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

# alerts: rule decision layer target reason, one per line, for everything but the start line
# and plain allows (printed after the protect process wrote them out). -R and fromjson?: protect
# may be in the middle of a line.
alerts() {
	sleep 0.5
	jq -R -r 'fromjson? | select(.rule != "protect_started" and .decision != "allow") |
		[.rule, .decision, .output_fields["evt.layer"],
		 (.output_fields["fd.name"] // .output_fields["fd.sip.name"]),
		 .output_fields["evt.reason"]] | join(" ")' out.json
}

assert_alert() {
	local a
	a=$(alerts)
	grep -qxF -- "$1" <<<"$a" || fail "no alert '$1' in:" "$a" "stderr:" "$(cat err.txt)"
}

assert_no_alerts() {
	local a
	a=$(alerts)
	[ -z "$a" ] || fail "expected no alerts, got:" "$a"
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

@test "enforce: image programs run with no alert; a binary copied to /tmp is denied" {
	start_protect enforce
	cexec 'ls / >/dev/null && cat /etc/hostname >/dev/null && echo hi | wc -c && /bin/busybox true && echo fine'
	assert_status 0
	assert_contains fine
	assert_no_alerts
	cexec 'cp /bin/busybox /tmp/busybox && /tmp/busybox echo dropped-ran'
	[ "$status" -ne 0 ] || fail "a dropped binary ran: $output"
	[[ "$output" != *dropped-ran* ]]
	assert_contains "Operation not permitted"
	assert_alert "exec_not_allowed deny fanotify /tmp/busybox not_in_image"
	# still fine afterwards
	cexec 'ls /bin >/dev/null && echo fine'
	assert_status 0
}

@test "monitor: the binary in /tmp runs and both layers report would-deny" {
	start_protect monitor
	cexec 'cp /bin/busybox /tmp/busybox && /tmp/busybox echo dropped-ran'
	assert_status 0
	assert_contains dropped-ran
	assert_alert "exec_not_allowed would-deny fanotify /tmp/busybox not_in_image"
	assert_alert "exec_not_allowed would-deny bpf-exec /tmp/busybox upper_layer"
}

# Every applet is a symlink to /bin/busybox, the one regular executable of the image. The
# running shell keeps it busy (writing it in place is ETXTBSY), so an attacker replaces it: a
# modified copy under the same path. The shell already running keeps the old inode.
REPLACE='cp /bin/busybox /tmp/m && echo >>/tmp/m && rm -f /bin/busybox && cp /tmp/m /bin/busybox && chmod 755 /bin/busybox'

@test "enforce: an image binary replaced inside the container is denied" {
	start_protect enforce
	# first run it once: the image file is allowed and gets an ignore mark
	cexec '/bin/busybox true && echo ok'
	assert_contains ok
	cexec "$REPLACE && /bin/busybox echo replaced-ran; echo rc=\$?"
	[[ "$output" != *replaced-ran* ]] || fail "$output"
	assert_contains rc=126
	assert_alert "exec_not_allowed deny fanotify /bin/busybox modified"
}

@test "monitor: the replaced image binary runs and is reported by both layers" {
	start_protect monitor
	cexec "$REPLACE && /bin/busybox echo replaced-ran"
	assert_status 0
	assert_contains replaced-ran
	assert_alert "exec_not_allowed would-deny fanotify /bin/busybox modified"
	assert_alert "exec_not_allowed would-deny bpf-exec /bin/busybox upper_layer"
}

SCRIPT_DROP='printf "#!/bin/sh\necho script-ran\n" >/tmp/s.sh && chmod +x /tmp/s.sh && /tmp/s.sh'

@test "enforce: a dropped shebang script is denied" {
	start_protect enforce
	cexec "$SCRIPT_DROP"
	[ "$status" -ne 0 ] || fail "$output"
	[[ "$output" != *script-ran* ]]
	assert_alert "exec_not_allowed deny fanotify /tmp/s.sh not_in_image"
}

@test "enforce: a process in its own user and mount namespace (unshare -Urm) is still the container's: a dropped script is denied" {
	# the control: the namespaces can be made, and the script runs there without imprint
	cexec "unshare -Urm sh -c 'printf \"#!/bin/sh\\necho script-ran\\n\" >/tmp/u.sh && chmod +x /tmp/u.sh && /tmp/u.sh'"
	assert_status 0
	assert_contains script-ran
	start_protect enforce
	cexec "unshare -Urm sh -c '/tmp/u.sh; echo rc=\$?'"
	[[ "$output" != *script-ran* ]] || fail "$output"
	assert_contains "rc=126"
	assert_alert "exec_not_allowed deny fanotify /tmp/u.sh not_in_image"
	# image programs still run there
	cexec "unshare -Urm sh -c 'ls / >/dev/null && echo fine'"
	assert_contains fine
}

@test "monitor: a dropped shebang script runs and is reported" {
	start_protect monitor
	cexec "$SCRIPT_DROP"
	assert_status 0
	assert_contains script-ran
	assert_alert "exec_not_allowed would-deny fanotify /tmp/s.sh not_in_image"
}

@test "enforce: a memfd execveat (fileless) is killed by the kernel-side layer" {
	start_protect enforce
	# the helper itself is allowed (--allow-exec), runs, and execs a memfd copy of busybox
	# (fd 3 is busybox, fd 4 the memfd)
	cexec '/h/probe memfd /bin/busybox echo memfd-ran; echo rc=$?'
	[[ "$output" != *memfd-ran* ]] || fail "$output"
	assert_contains rc=137
	assert_alert "exec_not_allowed deny bpf-exec /dev/fd/4 not_overlay"
	! alerts | grep -q '/h/probe' || fail "the explicitly allowed helper was reported"
}

@test "monitor: a memfd execveat runs and is reported" {
	start_protect monitor
	cexec '/h/probe memfd /bin/busybox echo memfd-ran'
	assert_status 0
	assert_contains memfd-ran
	assert_alert "exec_not_allowed would-deny bpf-exec /dev/fd/4 not_overlay"
}

@test "enforce: TCP connect and UDP send to an unlearned destination get EPERM; allowed ones work" {
	start_protect enforce --allow-net 127.0.0.1:9000/tcp --allow-net 127.0.0.0/8:5300-5310/udp
	cexec 'nc -l -p 9000 >/tmp/got & sleep 0.5; echo hello | nc 127.0.0.1 9000; sleep 0.3; cat /tmp/got; /h/probe udp 127.0.0.1 5305'
	assert_status 0
	assert_contains hello
	assert_contains sent
	assert_no_alerts
	cexec 'nc 10.1.2.3 80 </dev/null'
	[ "$status" -ne 0 ]
	assert_contains "Operation not permitted"
	cexec '/h/probe udp 10.1.2.3 53'
	[ "$status" -ne 0 ]
	assert_contains "Operation not permitted"
	# the port range is per protocol: TCP to the UDP range is refused
	cexec '/h/probe tcp 127.0.0.1 5305'
	assert_contains "Operation not permitted"
	assert_alert "connect_not_allowed deny bpf-net 10.1.2.3:80 unlearned_destination"
	assert_alert "sendmsg_not_allowed deny bpf-net 10.1.2.3:53 unlearned_destination"
	assert_alert "connect_not_allowed deny bpf-net 127.0.0.1:5305 unlearned_destination"
}

@test "enforce: raw and ICMP (ping) sockets, whose sends no cgroup hook sees, are refused when made" {
	# the control: this container can make both, and reach 127.0.0.1 with them
	cexec '/h/probe icmp 127.0.0.1 && /h/probe raw 127.0.0.1'
	assert_status 0
	start_protect enforce --allow-net 127.0.0.1:9000/tcp
	cexec '/h/probe icmp 127.0.0.1'
	[ "$status" -ne 0 ]
	assert_contains "icmp: Operation not permitted"
	cexec '/h/probe raw 127.0.0.1'
	[ "$status" -ne 0 ]
	assert_contains "raw: Operation not permitted"
	# what the rules allow still works
	cexec 'nc -l -p 9000 >/tmp/got & sleep 0.5; echo hello | nc 127.0.0.1 9000; sleep 0.3; cat /tmp/got'
	assert_contains hello
	assert_alert "socket_not_allowed deny bpf-net icmp/1 unhooked_socket"
	assert_alert "socket_not_allowed deny bpf-net raw/1 unhooked_socket"
}

@test "monitor and --allow-raw-sockets: the ping socket is made; monitor reports it, the allowance does not" {
	start_protect monitor --allow-net 127.0.0.1:9000/tcp
	cexec '/h/probe icmp 127.0.0.1'
	assert_status 0
	assert_alert "socket_not_allowed would-deny bpf-net icmp/1 unhooked_socket"
	stop_protect
	: >out.json
	start_protect enforce --allow-net 127.0.0.1:9000/tcp --allow-raw-sockets
	cexec '/h/probe icmp 127.0.0.1 && /h/probe raw 127.0.0.1'
	assert_status 0
	assert_no_alerts
}

@test "enforce: the image's own dynamic loader run as the program (ld.so /tmp/dropped) is killed; programs it loads for still run" {
	# a Debian container instead of this file's busybox one (its loader is ld-linux)
	tpodman rm -f -t 0 "$CID" >/dev/null
	CID=$(tpodman run -d --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
		--entrypoint /bin/sleep localhost/debian:latest 1000)
	cexec 'cp /bin/true /tmp/dropped && chmod -x /tmp/dropped'
	# the control: without imprint the loader runs the dropped file
	cexec '/lib64/ld-linux-x86-64.so.2 /tmp/dropped && echo RAN'
	assert_contains RAN
	protect_start --mode enforce
	cexec '/lib64/ld-linux-x86-64.so.2 /tmp/dropped && echo RAN; echo "rc=$?"'
	[[ "$output" != *RAN* ]] || fail "$output"
	assert_contains "rc=137"
	# the image's dynamic programs still run: the kernel loading ld.so for them is no exec of it
	cexec 'ls / >/dev/null && echo fine'
	assert_status 0
	assert_contains fine
	alerts | grep -q "^exec_not_allowed deny bpf-exec .*ld-linux-x86-64.so.2 loader_as_program$" ||
		fail "$(alerts)"
}

@test "monitor: the unlearned connect and send go on (no route here) and are reported" {
	start_protect monitor --allow-net 127.0.0.1:9000
	cexec 'nc 10.1.2.3 80 </dev/null'
	[ "$status" -ne 0 ]
	# not refused by us: the container has no network, the kernel says so
	[[ "$output" != *"Operation not permitted"* ]] || fail "$output"
	cexec '/h/probe udp 10.1.2.3 53'
	[[ "$output" != *"Operation not permitted"* ]] || fail "$output"
	assert_alert "connect_not_allowed would-deny bpf-net 10.1.2.3:80 unlearned_destination"
	assert_alert "sendmsg_not_allowed would-deny bpf-net 10.1.2.3:53 unlearned_destination"
}

@test "kill -9: the pinned kernel-side layer still kills a dropped binary; a restart adopts" {
	start_protect enforce --allow-net 127.0.0.1:9000
	cexec 'cp /bin/busybox /tmp/busybox'
	kill -9 "$PROTECT_PID"
	wait "$PROTECT_PID" 2>/dev/null || true
	PROTECT_PID=
	[ -e "$PIN/guard_exec" ] && [ -e "$PIN/guard_protected" ]
	# fanotify is gone with the process; the kernel side is not
	cexec '/tmp/busybox echo dropped-ran; echo rc=$?'
	[[ "$output" != *dropped-ran* ]] || fail "$output"
	assert_contains rc=137
	cexec 'nc 10.1.2.3 80 </dev/null'
	assert_contains "Operation not permitted"
	cexec 'ls / >/dev/null && echo fine'
	assert_contains fine
	# restart: adopted, and the kill made while nobody listened is reported from the pinned
	# ring buffer
	start_protect enforce --allow-net 127.0.0.1:9000
	grep -q 'adopted from a previous run' err.txt
	grep -q 'adopted pinned program' err.txt
	assert_alert "exec_not_allowed deny bpf-exec /tmp/busybox upper_layer"
	assert_alert "connect_not_allowed deny bpf-net 10.1.2.3:80 unlearned_destination"
	cexec '/tmp/busybox echo dropped-ran'
	assert_contains "Operation not permitted"
	stop_protect
	[ ! -e "$PIN" ]
}

@test "a flood of 10,000 denied execs does not freeze the container or the protector" {
	start_protect enforce
	cexec 'cp /bin/busybox /tmp/busybox'
	SECONDS=0
	cexec 'i=0; while [ $i -lt 10000 ]; do /tmp/busybox true 2>/dev/null; i=$((i+1)); done; echo done $i'
	assert_status 0
	assert_contains "done 10000"
	[ "$SECONDS" -lt 120 ] || fail "the flood took ${SECONDS}s"
	kill -0 "$PROTECT_PID"
	cexec 'ls / >/dev/null && echo fine'
	assert_contains fine
	sleep 1
	n=$(grep -c '"exec_not_allowed"' out.json)
	[ "$n" -ge 5000 ] || fail "only $n of 10000 denials reported"
	echo "flood: ${SECONDS}s, $n denials reported" >&3
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

# Debian: sh (dash), bash and cat are different files; `podman exec` enters as RAD's "exec"
BEHAVIOR_DEB='{"kind":"Fingerprint","apiVersion":"rad.ksoc.com/v1alpha1","containers":[{"name":"debian","imageName":"localhost/debian:latest",
 "entrypoint":{"process":{"uid":0,"gid":0,"programs":[{"comm":"sleep","args":["/bin/sleep","1000"]}]}},
 "exec":{"process":{"programs":[{"comm":"sh","args":["sh","-c","x"]}],
  "children":[{"programs":[{"comm":"bash","args":["bash","-c","x"]}],
   "children":[{"programs":[{"comm":"cat","args":["cat","/etc/hostname"]}]}]}]}}}]}'

@test "tree-aware: a program is the file it executes: another image program started under a learned name (exec -a) is refused" {
	tpodman rm -f -t 0 "$CID" >/dev/null
	CID=$(tpodman run -d --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
		--entrypoint /bin/sleep localhost/debian:latest 1000)
	echo "$BEHAVIOR_DEB" >fp.json
	protect_start --mode enforce --behavior fp.json
	# the controls: the learned chain runs, also with argv[0] naming the file itself
	cexec 'bash -c "cat /etc/hostname >/dev/null && echo cat-ok"'
	assert_status 0
	assert_contains cat-ok
	cexec 'bash -c "(exec -a cat /usr/bin/cat /etc/hostname) >/dev/null && echo cat-ok"'
	assert_contains cat-ok
	assert_no_alerts
	# the attack: ls started as "cat", which bash may start
	cexec 'bash -c "exec -a cat /usr/bin/ls /etc/hostname"; echo "rc=$?"'
	! grep -qx /etc/hostname <<<"$output" || fail "ls ran: $output"
	assert_contains "Operation not permitted"
	assert_alert "exec_not_allowed deny fanotify /usr/bin/ls unlearned_parent"
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
