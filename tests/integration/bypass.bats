#!/usr/bin/env bats
# The bypass matrix (docs/bypass-matrix.md), tried the way an attacker would: every row that has a
# test has it here (the Docker and containerd rows have theirs in engines.bats), in the
# matrix's order:
#
#   1. executing code that is not an unchanged image file
#   2. reaching the network
#   3. weakening enforcement from the host's disk
#
# Each row has its control, so that a test cannot pass because enforcement was off or because
# everything breaks: the same attack without protection succeeds, or the ordinary form (an
# image file, an allowed destination, an untouched image) still works with protection on. A
# row's monitor-mode test, where it has one, follows its enforce test: the attack goes on and
# is reported (the tamper tests try the monitor hook in the same test: `refused`).
#
# Everything runs on the real kernel with real podman containers. Each test asks for what it
# needs; setup() only makes the test's directory:
#
#   busybox_container   a busybox container (no dynamic loader: one static /bin/busybox),
#                       allowed to make ping and raw sockets (NET_RAW, ping_group_range)
#   debian_container    a container of the Debian test image: its dynamic loader, bash, perl
#   start_protect MODE  `imprint protect` on that container (tests/lib/protect.bash)
#   tamper_fixture      podman's hooks with a private store, a signed policy store and an
#                       imprintd that has just verified the image (tests/lib/tamper.bash)
#   daemon_fixture      imprintd protecting the containers it is asked about, its pins and state
#                       files on the host's disk (tests/lib/daemon.bash)
#
# Both containers have the test's helpers at /h (read-only), files from outside the image that
# start_protect allows explicitly (--allow-exec); what they do is judged (and libvolume.so, an
# image library's bytes on the volume, is not allowed):
#
#   probe   static C (tests/lib/protect.bash): an execveat() of a memfd, a UDP send, a TCP
#           connect, an ICMP echo through a ping or a raw socket
#   mapper  C, dynamically linked against the host's glibc, which is the image's (Debian 12):
#           maps a file executable the ways a loader or an exploit does (mmap, mprotect over one
#           or two mappings, dlopen, a memfd, a 32-bit int 0x80 mmap2); and asks the kernel
#           whether a file may be executed (execveat AT_EXECVE_CHECK), as an interpreter that
#           honours it does before running a script

load ../lib/common
load ../lib/protect
load ../lib/tamper
load ../lib/daemon

DEB_LIB=/usr/lib/x86_64-linux-gnu/libz.so.1

setup_file() {
	images busybox debian
	skip_unless gcc
	export HELPERS=$BATS_FILE_TMPDIR/helpers
	mkdir -p "$HELPERS"
	build_probe "$HELPERS"
	build_mapper "$HELPERS"
	# a library from outside the image: on the volume itself
	cp "$DEB_LIB" "$HELPERS/libvolume.so"
	# imprint protect's pins, of this run only
	export PIN=/sys/fs/bpf/imprint-bypass-$$
}

setup() {
	W=$BATS_TEST_TMPDIR
	cd "$W"
	CID=
	PROTECT_PID=
}

teardown() {
	protect_teardown
}

teardown_file() {
	tamper_teardown_file
	daemon_teardown_file
}

# --- shared helpers ---------------------------------------------------------------------------

# build_mapper DIR: compile DIR/mapper (see the top of this file); it prints "mapped" when the
# mapping was made.
build_mapper() {
	cat >"$BATS_FILE_TMPDIR/mapper.c" <<-'C'
		#define _GNU_SOURCE
		#include <dlfcn.h>
		#include <fcntl.h>
		#include <stdio.h>
		#include <string.h>
		#include <sys/mman.h>
		#include <sys/syscall.h>
		#include <unistd.h>
		static int fail(const char *what)
		{
			perror(what);
			return 1;
		}
		int main(int argc, char **argv)
		{
			const char *how = argc >= 3 ? argv[1] : "";
			int fd = argc >= 3 ? open(argv[2], O_RDONLY) : -1;
			long page = sysconf(_SC_PAGESIZE);
			void *p;

			if (fd < 0 && strcmp(how, "dlopen") != 0)
				return fail("open");
			if (strcmp(how, "mmap") == 0) {
				p = mmap(NULL, page, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
				if (p == MAP_FAILED)
					return fail("mmap");
			} else if (strcmp(how, "mprotect") == 0) {
				p = mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, 0);
				if (p == MAP_FAILED || mprotect(p, page, PROT_READ | PROT_EXEC) < 0)
					return fail("mprotect");
			} else if (strcmp(how, "span") == 0 && argc == 4) {
				/* an allowed file then FILE2, side by side, made executable at once */
				int fd2 = open(argv[3], O_RDONLY);
				char *q = mmap(NULL, 2 * page, PROT_READ, MAP_PRIVATE, fd, 0);
				if (fd2 < 0 || q == MAP_FAILED ||
				    mmap(q + page, page, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd2, 0) == MAP_FAILED ||
				    mprotect(q, 2 * page, PROT_READ | PROT_EXEC) < 0)
					return fail("span");
			} else if (strcmp(how, "memfd") == 0) {
				int m = memfd_create("payload", 0);
				char buf[65536];
				ssize_t n;
				while ((n = read(fd, buf, sizeof(buf))) > 0)
					if (write(m, buf, n) != n)
						return fail("write");
				p = mmap(NULL, page, PROT_READ | PROT_EXEC, MAP_PRIVATE, m, 0);
				if (p == MAP_FAILED)
					return fail("mmap");
			} else if (strcmp(how, "int80") == 0) {
				/* mmap2(0, page, PROT_READ|PROT_EXEC, MAP_PRIVATE, fd, 0) as a 32-bit call */
				long r;
				__asm__ volatile("push %%rbp\n\txor %%ebp, %%ebp\n\tint $0x80\n\tpop %%rbp"
						 : "=a"(r)
						 : "a"(192L), "b"(0L), "c"(page), "d"(5L), "S"(2L), "D"((long)fd)
						 : "memory");
				if (r < 0 && r > -4096) {
					fprintf(stderr, "int80: errno %ld\n", -r);
					return 1;
				}
			} else if (strcmp(how, "dlopen") == 0) {
				if (!dlopen(argv[2], RTLD_NOW))
					return fprintf(stderr, "dlopen: %s\n", dlerror()), 1;
			} else if (strcmp(how, "check") == 0) {
				/* AT_EXECVE_CHECK (Linux 6.14): every check of an exec, no exec */
				char *args[] = { argv[2], NULL }, *env[] = { NULL };
				if (syscall(SYS_execveat, fd, "", args, env, AT_EMPTY_PATH | 0x10000) < 0)
					return fail("execveat(AT_EXECVE_CHECK)");
				puts("allowed");
				return 0;
			} else {
				fprintf(stderr, "usage: mapper mmap|mprotect|memfd|int80|dlopen|check FILE | span FILE FILE2\n");
				return 2;
			}
			puts("mapped");
			return 0;
		}
	C
	gcc -O2 -o "$1/mapper" "$BATS_FILE_TMPDIR/mapper.c"
}

# protect_needs: what imprint protect's kernel-side layer needs.
protect_needs() {
	need "no BTF at /sys/kernel/btf/vmlinux" test -e /sys/kernel/btf/vmlinux
}

# busybox_container: $CID, a busybox container that may make ping and raw sockets.
busybox_container() {
	protect_needs
	CID=$(tpodman run -d --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
		--cap-add NET_RAW --sysctl net.ipv4.ping_group_range="0 2147483647" \
		-v "$HELPERS:/h:ro" --entrypoint /bin/sh localhost/busybox:latest -c 'sleep 1000')
}

# debian_container: $CID, a container of the Debian test image.
debian_container() {
	protect_needs
	CID=$(tpodman run -d --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
		-v "$HELPERS:/h:ro" --entrypoint /bin/sleep localhost/debian:latest 1000)
}

# debian32_container: $CID, a container of the Debian image plus one 32-bit program
# (/usr/local/bin/true32, a static i386 ELF made here with as and ld): an image with 32-bit
# programs, whose 32-bit mapping calls are judged too. The test removes the image.
debian32_container() {
	protect_needs
	skip_unless as
	local ctx=$BATS_TEST_TMPDIR/ctx
	mkdir -p "$ctx"
	printf '.globl _start\n_start:\n movl $1, %%eax\n xorl %%ebx, %%ebx\n int $0x80\n' >"$ctx/t32.s"
	as --32 -o "$ctx/t32.o" "$ctx/t32.s" && ld -m elf_i386 -o "$ctx/true32" "$ctx/t32.o" ||
		fail "cannot make a 32-bit ELF"
	printf 'FROM localhost/debian:latest\nCOPY true32 /usr/local/bin/true32\n' >"$ctx/Containerfile"
	tpodman build -q --network none -t localhost/debian32:latest "$ctx" >/dev/null
	CID=$(tpodman run -d --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
		-v "$HELPERS:/h:ro" --entrypoint /bin/sleep localhost/debian32:latest 1000)
}

# drop_library: the dropped library, /tmp/libdropped.so in the container: an image library's
# exact bytes, somewhere else.
drop_library() {
	cexec "cp $DEB_LIB /tmp/libdropped.so"
}

# start_protect MODE [ARGS...]: protect $CID in the background, the helpers at /h allowed;
# output in out.json and err.txt; returns once the start line is out.
start_protect() {
	local mode=$1
	shift
	protect_start --mode "$mode" --allow-exec /h/probe --allow-exec /h/mapper "$@"
}

# assert_killed SCRIPT: the script's last command was killed before it printed anything.
assert_killed() {
	cexec "$1; echo rc=\$?"
	[[ "$output" != *mapped* && "$output" != *RAN* ]] || fail "not stopped: $output"
	assert_contains "rc=137"
}

# === 1. Executing code that is not an unchanged image file ====================================

# --- in a running container: dropped, replaced and fileless programs (busybox) ----------------

@test "enforce: image programs run with no alert; a binary copied to /tmp is denied" {
	busybox_container
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
	busybox_container
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
	busybox_container
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
	busybox_container
	start_protect monitor
	cexec "$REPLACE && /bin/busybox echo replaced-ran"
	assert_status 0
	assert_contains replaced-ran
	assert_alert "exec_not_allowed would-deny fanotify /bin/busybox modified"
	assert_alert "exec_not_allowed would-deny bpf-exec /bin/busybox upper_layer"
}

@test "enforce: names are not identity: a symlink to a dropped binary and a hard link made in the container are denied; a symlink to an image binary runs" {
	busybox_container
	start_protect enforce
	# the ordinary form: another name for an unchanged image file is that file
	cexec 'ln -s /bin/busybox /tmp/echo && /tmp/echo sym-ran'
	assert_status 0
	assert_contains sym-ran
	# a dropped binary behind a symlink named like a program
	cexec 'cp /bin/busybox /tmp/d && mkdir -p /usr/local/bin && ln -s /tmp/d /usr/local/bin/cat && /usr/local/bin/cat /etc/hostname && echo RAN; echo rc=$?'
	[[ "$output" != *RAN* ]] || fail "$output"
	assert_alert "exec_not_allowed deny fanotify /tmp/d not_in_image"
	# a hard link made in the container: the overlay copies the image file up first, so the
	# link (and the image path itself from now on) is the container's own file
	cexec 'mkdir /tmp/h && ln /bin/busybox /tmp/h/echo; /tmp/h/echo RAN; echo rc=$?'
	[[ "$output" != *RAN* ]] || fail "$output"
	assert_alert "exec_not_allowed deny bpf-exec /tmp/h/echo upper_layer"
}

SCRIPT_DROP='printf "#!/bin/sh\necho script-ran\n" >/tmp/s.sh && chmod +x /tmp/s.sh && /tmp/s.sh'

@test "enforce: a dropped shebang script is denied" {
	busybox_container
	start_protect enforce
	cexec "$SCRIPT_DROP"
	[ "$status" -ne 0 ] || fail "$output"
	[[ "$output" != *script-ran* ]]
	assert_alert "exec_not_allowed deny fanotify /tmp/s.sh not_in_image"
}

@test "monitor: a dropped shebang script runs and is reported" {
	busybox_container
	start_protect monitor
	cexec "$SCRIPT_DROP"
	assert_status 0
	assert_contains script-ran
	assert_alert "exec_not_allowed would-deny fanotify /tmp/s.sh not_in_image"
}

@test "enforce: a memfd execveat (fileless) is killed by the kernel-side layer" {
	busybox_container
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
	busybox_container
	start_protect monitor
	cexec '/h/probe memfd /bin/busybox echo memfd-ran'
	assert_status 0
	assert_contains memfd-ran
	assert_alert "exec_not_allowed would-deny bpf-exec /dev/fd/4 not_overlay"
}

@test "enforce: the image's own dynamic loader run as the program (ld.so /tmp/dropped) is killed; programs it loads for still run" {
	debian_container
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

# --- before the container starts: the stored image, the container's layer (podman's hooks) ----

@test "tamper: one byte of a binary changed, size and mtime preserved" {
	tamper_fixture
	touch -r "$(L /bin/busybox)" ref
	size=$(stat -c %s "$(L /bin/busybox)")
	# the last byte (section headers, never loaded) so the binary still runs in monitor mode
	printf '\x5a' | dd of="$(L /bin/busybox)" bs=1 seek=$((size - 1)) conv=notrunc 2>/dev/null
	touch -r ref "$(L /bin/busybox)"
	[ "$(stat -c %s "$(L /bin/busybox)")" = "$size" ]
	refused file /bin/busybox
}

@test "tamper: a file added to a layer" {
	tamper_fixture
	cp "$(L /bin/busybox)" "$(L /bin/evil)"
	refused file /bin/evil
}

@test "tamper: a file removed from a layer" {
	tamper_fixture
	rm "$(L /etc/group)"
	refused file /etc/group
}

@test "tamper: chmod u+s" {
	tamper_fixture
	chmod u+s "$(L /bin/busybox)"
	refused file /bin/busybox
}

@test "tamper: chown" {
	tamper_fixture
	chown 1000:1000 "$(L /etc/passwd)"
	refused file /etc/passwd
}

@test "tamper: a symlink retargeted" {
	tamper_fixture
	ln -sfn /tmp/evil "$(L /bin/sh)"
	refused file /bin/sh
}

@test "tamper: security.capability added" {
	tamper_fixture
	setcap cap_chown+ep "$(L /bin/busybox)"
	refused file /bin/busybox
}

@test "tamper: the stored config edited (entrypoint) together with images.json" {
	tamper_fixture
	key=$(printf 'sha256:%s' "$BUSYBOX" | base64 -w0)
	cfg=$ST/overlay-images/$BUSYBOX/=$key
	[ -f "$cfg" ] || fail "no config big-data at $cfg"
	jq -c '.config.Entrypoint = ["/bin/sh", "-c", "evil"]' "$cfg" >cfg.json
	cp cfg.json "$cfg"
	new=sha256:$(sha256sum "$cfg" | cut -d' ' -f1)
	jq --arg id "$BUSYBOX" --arg k "sha256:$BUSYBOX" --arg d "$new" --argjson s "$(stat -c %s "$cfg")" \
		'map(if .id == $id then ."big-data-digests"[$k] = $d | ."big-data-sizes"[$k] = $s else . end)' \
		"$ST/overlay-images/images.json" >images.json
	cp images.json "$ST/overlay-images/images.json"
	# podman itself checks the config against the image ID and refuses before any hook runs;
	# imprint refuses it too, for engines that do not check
	start paranoid "$BUSYBOX"
	[ "$status" -ne 0 ]
	[[ "$output" != *container-ran* ]]
	run "$IMPRINT" verify --json --storage-root "$ST" --policy-dir etc/policy.d --keys-dir etc/keys \
		--state-dir state "containers-storage:$BUSYBOX"
	[ "$status" -eq 1 ]
	[ "$(jq -r .reason <<<"$output")" = integrity ] || fail "$output"
	[[ "$(jq -r '.reasons[0].message' <<<"$output")" == *"stored config is"* ]]
}

@test "tamper: the layer directory swapped for another image's layer" {
	tamper_fixture
	mv "$ST/overlay/$BLAYER/diff" "$F/swapped-out"
	cp -a "$ST/overlay/$SLAYER/diff" "$ST/overlay/$BLAYER/diff"
	refused layers "" "$BUSYBOX" norun # the other image has no /bin/echo to run
	rm -rf "$F/swapped-out"
}

@test "tamper: an image not in the policy" {
	tamper_fixture
	refused unknown-image "" "$SPECIAL"
}

@test "tamper: a preload file and a library put in a created container's layer before it starts" {
	tamper_fixture
	local mode layer
	for mode in paranoid daemon monitor; do
		# the control: created and started untouched, it runs
		fpod create --name "clean-$mode" --network none --ulimit nofile=1024:1024 \
			--ulimit nproc=4096:4096 --entrypoint /bin/echo "$BUSYBOX" started >/dev/null
		run fpod --hooks-dir "$F/hooks-$mode" start -a "clean-$mode"
		fpod rm -f "clean-$mode" >/dev/null
		[ "$status" -eq 0 ] || fail "$mode, untouched: $output"
		fpod create --name "pre-$mode" --network none --ulimit nofile=1024:1024 \
			--ulimit nproc=4096:4096 --entrypoint /bin/echo "$BUSYBOX" started >/dev/null
		layer=$(jq -r --arg n "pre-$mode" '.[] | select(.names[0] == $n) | .layer' \
			"$ST/overlay-containers/containers.json")
		mkdir -p "$ST/overlay/$layer/diff/etc" "$ST/overlay/$layer/diff/usr/lib"
		echo /usr/lib/libevil.so >"$ST/overlay/$layer/diff/etc/ld.so.preload"
		cp "$(L /bin/busybox)" "$ST/overlay/$layer/diff/usr/lib/libevil.so"
		run fpod --hooks-dir "$F/hooks-$mode" start -a "pre-$mode"
		fpod rm -f "pre-$mode" >/dev/null
		tail -1 "audit-$mode.jsonl" | jq -e '[.reasons[] | select(.code == "added") | .path] |
			index("/etc/ld.so.preload") and index("/usr/lib/libevil.so")' >/dev/null ||
			fail "$mode: $(tail -1 "audit-$mode.jsonl" | jq -c .reasons)"
		if [ $mode = monitor ]; then
			[ "$(tail -1 audit-monitor.jsonl | jq -r .allowed)" = true ]
		else
			[ "$status" -ne 0 ] || fail "$mode: started"
			[[ "$output" == *"/etc/ld.so.preload: a file added to the container layer before the container ran"* ]] ||
				fail "$mode: $output"
		fi
	done
}

@test "tamper: the container's read-write layer pre-seeded with a file shadowing an image binary" {
	tamper_fixture
	local mode
	for mode in paranoid daemon monitor; do
		fpod create --name "seed-$mode" --network none --entrypoint /bin/echo "$BUSYBOX" started >/dev/null
		layer=$(jq -r --arg n "seed-$mode" '.[] | select(.names[0] == $n) | .layer' \
			"$ST/overlay-containers/containers.json")
		mkdir -p "$ST/overlay/$layer/diff/bin"
		cp "$(L /bin/busybox)" "$ST/overlay/$layer/diff/bin/busybox"
		printf 'pwned' >>"$ST/overlay/$layer/diff/bin/busybox"
		chmod 755 "$ST/overlay/$layer/diff/bin/busybox"
		run fpod --hooks-dir "$F/hooks-$mode" start -a "seed-$mode"
		fpod rm -f "seed-$mode" >/dev/null
		[ "$(tail -1 "audit-$mode.jsonl" | jq -r .reason)" = shadowed ] || fail "$mode: $output"
		if [ $mode = monitor ]; then
			[ "$(tail -1 audit-monitor.jsonl | jq -r .allowed)" = true ]
		else
			[ "$status" -ne 0 ] || fail "$mode: started"
			[[ "$output" == *"/bin/busybox: image file replaced in the container layer"* ]]
		fi
	done
}

# --- executable mappings: mmap, mprotect, dlopen, LD_PRELOAD, the loader (Debian, mapper) -----

MAPPINGS=(mmap mprotect memfd int80 dlopen)
# the calls judged in an image of 64-bit programs only (int80: docs/protect.md, "32-bit calls")
MAPPINGS64=(mmap mprotect memfd dlopen)

@test "control: with no protection every mapping attack works" {
	debian_container
	drop_library
	for how in "${MAPPINGS[@]}"; do
		cexec "/h/mapper $how /tmp/libdropped.so"
		assert_status 0
		assert_contains mapped
	done
	cexec "/h/mapper span $DEB_LIB /tmp/libdropped.so && /h/mapper mmap /h/libvolume.so"
	assert_status 0
	cexec "LD_PRELOAD=/tmp/libdropped.so /bin/true && echo RAN"
	assert_contains RAN
}

@test "enforce: a dropped library mapped executable is killed, whichever call maps it; image libraries still map" {
	debian_container
	drop_library
	start_protect enforce
	for how in "${MAPPINGS64[@]}"; do
		[ "$how" = memfd ] && continue
		# the ordinary form first: the image's own library
		cexec "/h/mapper $how $DEB_LIB"
		assert_status 0
		assert_contains mapped
		assert_killed "/h/mapper $how /tmp/libdropped.so"
	done
	alerts | grep -c "^mmap_not_allowed deny bpf-mmap libdropped.so not_in_image$" |
		grep -qx 3 || fail "$(alerts)"
	# a memfd is never an image file, even holding an image library's bytes
	assert_killed "/h/mapper memfd $DEB_LIB"
	assert_alert "mmap_not_allowed deny bpf-mmap memfd:payload not_in_image"
}

@test "enforce: in an image with a 32-bit program, 32-bit mapping calls (int 0x80 mmap2) of a dropped library are killed too" {
	debian32_container
	drop_library
	# control: no protection, the 32-bit call maps it
	cexec "/h/mapper int80 /tmp/libdropped.so"
	assert_status 0
	start_protect enforce
	grep -q 'tp_btf/sys_exit for 32-bit calls' err.txt || fail "$(cat err.txt)"
	cexec "/h/mapper int80 $DEB_LIB"
	assert_status 0
	assert_contains mapped
	assert_killed "/h/mapper int80 /tmp/libdropped.so"
	assert_alert "mmap_not_allowed deny bpf-mmap libdropped.so not_in_image"
	tpodman rm -f -t 0 "$CID" >/dev/null
	tpodman rmi localhost/debian32:latest >/dev/null
}

@test "enforce: LD_PRELOAD of a dropped library kills the program before it runs; of an image library it runs" {
	debian_container
	drop_library
	start_protect enforce
	cexec "LD_PRELOAD=$DEB_LIB /bin/true && echo RAN"
	assert_contains RAN
	assert_killed "LD_PRELOAD=/tmp/libdropped.so /bin/true && echo RAN"
	# bash, perl: every dynamic program of the image is covered the same way
	assert_killed "LD_PRELOAD=/tmp/libdropped.so perl -e 'print qq(RAN)'"
	assert_alert "mmap_not_allowed deny bpf-mmap libdropped.so not_in_image"
}

@test "enforce: mprotect over an image mapping and a dropped one at once is killed" {
	debian_container
	drop_library
	start_protect enforce
	cexec "/h/mapper span $DEB_LIB $DEB_LIB"
	assert_status 0
	assert_killed "/h/mapper span $DEB_LIB /tmp/libdropped.so"
	assert_alert "mmap_not_allowed deny bpf-mmap libdropped.so not_in_image"
}

@test "enforce: a library on a volume is killed" {
	debian_container
	drop_library
	start_protect enforce
	assert_killed "/h/mapper mmap /h/libvolume.so"
	assert_alert "mmap_not_allowed deny bpf-mmap libvolume.so not_in_image"
}

@test "enforce: an image library replaced inside the container (copied up) is killed" {
	debian_container
	drop_library
	start_protect enforce
	# the same bytes, but the container's own copy now (upper layer)
	cexec "cp /tmp/libdropped.so $DEB_LIB"
	assert_status 0
	assert_killed "/h/mapper mmap $DEB_LIB"
}

@test "monitor: a dropped library maps and runs, and is reported" {
	debian_container
	drop_library
	start_protect monitor
	cexec "/h/mapper mmap /tmp/libdropped.so && LD_PRELOAD=/tmp/libdropped.so /bin/true && echo RAN"
	assert_status 0
	assert_contains RAN
	assert_alert "mmap_not_allowed would-deny bpf-mmap libdropped.so not_in_image"
}

@test "loader-as-program: allowed by the policy knob, ld.so runs image programs but a dropped one is still killed" {
	debian_container
	cexec 'cp /bin/true /tmp/dropped && chmod -x /tmp/dropped'
	# control: without imprint the loader runs the dropped file
	cexec '/lib64/ld-linux-x86-64.so.2 /tmp/dropped && echo RAN'
	assert_contains RAN
	start_protect enforce --allow-loader-as-program
	cexec '/lib64/ld-linux-x86-64.so.2 /bin/true && echo RAN'
	assert_status 0
	assert_contains RAN
	# the loader maps the dropped program itself: the mapping check kills it
	assert_killed '/lib64/ld-linux-x86-64.so.2 /tmp/dropped && echo RAN'
	assert_alert "mmap_not_allowed deny bpf-mmap dropped not_in_image"
}

# --- interpreters fed a file (Debian, mapper) -------------------------------------------------

@test "an interpreter that asks the kernel (AT_EXECVE_CHECK) is refused a dropped script and allowed an image one" {
	debian_container
	cexec "printf '#!/bin/sh\necho hi\n' >/tmp/x.sh && chmod +x /tmp/x.sh"
	script=$(tpodman exec "$CID" sh -c 'for f in /usr/bin/* /usr/sbin/*; do [ -x "$f" ] && [ "$(head -c2 "$f")" = "#!" ] && echo "$f" && break; done')
	[ -n "$script" ] || fail "no image script"
	# control: with no protection the kernel says yes to both
	cexec "/h/mapper check /tmp/x.sh && /h/mapper check $script"
	assert_status 0
	start_protect enforce
	cexec "/h/mapper check $script"
	assert_status 0
	assert_contains allowed
	cexec "/h/mapper check /tmp/x.sh"
	assert_status 1
	assert_contains "Operation not permitted"
	stop_protect
	: >out.json
	start_protect monitor
	cexec "/h/mapper check /tmp/x.sh"
	assert_status 0
	assert_alert "exec_not_allowed would-deny fanotify /tmp/x.sh not_in_image"
}

# --- the create → start window, and stored layers changed under a container (imprintd) --------

# the image's only layer directory, as the container's overlay mount names it
image_layer() {
	fpod inspect -f '{{.GraphDriver.Data.LowerDir}}' "$1" | tr ':' '\n' | tail -1
}

@test "create → start window: the entrypoint's first exec of a dropped binary is killed (armed before it runs)" {
	daemon_fixture
	local script='cp /bin/busybox /tmp/busybox; /tmp/busybox echo RAN; echo rc=$?; sleep 1000'
	# control: with exec off the entrypoint runs the dropped copy
	policy off
	CID=$(fpod --hooks-dir "$F/hooks" run -d --network none --ulimit nofile=1024:1024 \
		--ulimit nproc=4096:4096 --entrypoint /bin/sh "$BUSYBOX" -c "$script")
	for _ in $(seq 50); do fpod logs "$CID" | grep -q rc= && break; sleep 0.1; done
	[[ "$(fpod logs "$CID")" == *RAN* ]] || fail "$(fpod logs "$CID")"
	fpod rm -f -t 0 "$CID" >/dev/null
	policy enforce
	CID=$(fpod --hooks-dir "$F/hooks" run -d --network none --ulimit nofile=1024:1024 \
		--ulimit nproc=4096:4096 --entrypoint /bin/sh "$BUSYBOX" -c "$script")
	for _ in $(seq 50); do fpod logs "$CID" | grep -q rc= && break; sleep 0.1; done
	run fpod logs "$CID"
	[[ "$output" != *RAN* ]] || fail "the entrypoint ran before it was armed: $output"
	assert_contains "rc=137"
	events_until 'any(.[]; .code == "exec_not_allowed")'
	fpod rm -f -t 0 "$CID" >/dev/null
}

@test "create → start window: a stored layer changed after create is reported at once and the container never starts (enforce)" {
	daemon_fixture
	policy enforce
	CID=$(fpod --hooks-dir "$F/hooks" create --network none --ulimit nofile=1024:1024 \
		--ulimit nproc=4096:4096 --entrypoint /bin/sh "$BUSYBOX" -c 'echo STARTED; sleep 1000')
	fpod --hooks-dir "$F/hooks" init "$CID" >/dev/null
	pid=$(fpod inspect -f '{{.State.Pid}}' "$CID")
	kill -0 "$pid" || fail "no init process"
	layer=$(image_layer "$CID")
	[ -f "$layer/etc/passwd" ] || fail "no layer at '$layer'"
	cp -a "$layer/etc/passwd" "$F/passwd.orig"
	echo 'evil:x:0:0::/:/bin/sh' >>"$layer/etc/passwd"
	events_until 'any(.[]; .code == "image_layer_changed")'
	jq -s -e 'any(.[]; .code == "image_layer_changed" and .detail.decision == "deny")' events.jsonl >/dev/null ||
		fail "$(cat events.jsonl)"
	# the created container's init (waiting for `start`) is gone: it cannot start
	for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$pid" 2>/dev/null || fail "the created container's init still runs"
	# and a new create of the changed image is refused
	run fpod --hooks-dir "$F/hooks" start "$CID"
	[ "$status" -ne 0 ] || fail "start: $output"
	[[ "$(fpod logs "$CID" 2>&1)" != *STARTED* ]] || fail "it started: $(fpod logs "$CID")"
	cat "$F/passwd.orig" >"$layer/etc/passwd"
	fpod rm -f -t 0 "$CID" >/dev/null
}

@test "a stored layer changed under a running container: killed in enforce mode, reported in monitor mode" {
	daemon_fixture
	for mode in monitor enforce; do
		policy "$mode"
		run_container
		protected "$CID"
		layer=$(image_layer "$CID")
		cp -a "$layer/etc/passwd" "$F/passwd.orig"
		echo 'evil:x:0:0::/:/bin/sh' >>"$layer/etc/passwd"
		events_until 'any(.[]; .code == "image_layer_changed")'
		cat "$F/passwd.orig" >"$layer/etc/passwd"
		sleep 0.5
		if [ "$mode" = enforce ]; then
			jq -s -e 'any(.[]; .code == "image_layer_changed" and .detail.decision == "deny")' events.jsonl >/dev/null ||
				fail "$(cat events.jsonl)"
			[ "$(fpod inspect -f '{{.State.Running}}' "$CID")" = false ] || fail "still running"
		else
			jq -s -e 'any(.[]; .code == "image_layer_changed" and .detail.decision == "would-deny")' events.jsonl >/dev/null ||
				fail "$(cat events.jsonl)"
			[ "$(fpod inspect -f '{{.State.Running}}' "$CID")" = true ] || fail "monitor stopped it"
		fi
		fpod rm -f -t 0 "$CID" >/dev/null
	done
}

# --- namespaces and names: unshare, argv[0] ---------------------------------------------------

@test "enforce: a process in its own user and mount namespace (unshare -Urm) is still the container's: a dropped script is denied" {
	busybox_container
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

# Debian: sh (dash), bash and cat are different files; `podman exec` enters as RAD's "exec"
BEHAVIOR_DEB='{"kind":"Fingerprint","apiVersion":"rad.ksoc.com/v1alpha1","containers":[{"name":"debian","imageName":"localhost/debian:latest",
 "entrypoint":{"process":{"uid":0,"gid":0,"programs":[{"comm":"sleep","args":["/bin/sleep","1000"]}]}},
 "exec":{"process":{"programs":[{"comm":"sh","args":["sh","-c","x"]}],
  "children":[{"programs":[{"comm":"bash","args":["bash","-c","x"]}],
   "children":[{"programs":[{"comm":"cat","args":["cat","/etc/hostname"]}]}]}]}}}]}'

@test "tree-aware: a program is the file it executes: another image program started under a learned name (exec -a) is refused" {
	debian_container
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

# === 2. Reaching the network ==================================================================

@test "enforce: TCP connect and UDP send to an unlearned destination get EPERM; allowed ones work" {
	busybox_container
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

@test "monitor: the unlearned connect and send go on (no route here) and are reported" {
	busybox_container
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

@test "enforce: raw and ICMP (ping) sockets, whose sends no cgroup hook sees, are refused when made" {
	busybox_container
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
	busybox_container
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

# === 3. Weakening enforcement from the host's disk ============================================

# --- imprintd's state files and imprintd killed -----------------------------------------------

@test "state files never weaken: exec off written in one, or the file deleted, and imprintd restarted: still protected, and reported" {
	daemon_fixture
	local state
	policy enforce
	run_container
	protected "$CID"
	state=$(ls "$F"/protected/*.json)
	[ "$(wc -l <<<"$state")" -eq 1 ] || fail "state files: $state"
	# a host writer turns the container's protection off in its state file
	stop_daemon
	jq -c '.exec = "off" | .network = "off"' "$state" >"$F/st.json" && mv "$F/st.json" "$state"
	start_daemon
	protected "$CID"
	[ "$(jq -r --arg id "$CID" '.protection.containers[] | select(.id == $id) | .exec' status.json)" = enforce ] ||
		fail "$(cat status.json)"
	grep -q "weaker than the pinned exec enforce" imprintd.log || fail "$(cat imprintd.log)"
	run fpod exec "$CID" /bin/sh -c 'mkdir -p /tmp/s && cp /bin/busybox /tmp/s/busybox && /tmp/s/busybox echo RAN; echo "rc=$?"'
	[[ "$output" != *RAN* ]] || fail "$output"
	# the control: the image's own busybox runs
	run fpod exec "$CID" /bin/busybox echo fine
	[ "$output" = fine ]
	# the state file deleted: the kernel-side layer stays armed, and it is said
	stop_daemon
	rm -f "$state"
	start_daemon
	grep -q "is protected but its state file is missing" imprintd.log || fail "$(cat imprintd.log)"
	run fpod exec "$CID" /bin/sh -c '/tmp/s/busybox echo RAN; echo "rc=$?"'
	[[ "$output" != *RAN* ]] || fail "$output"
	[[ "$output" == *rc=137* ]] || fail "$output"
	# once the container is gone, a restart releases it
	fpod rm -f -t 0 "$CID" >/dev/null
	stop_daemon
	start_daemon
	grep -q "no longer exists: released" imprintd.log || fail "$(cat imprintd.log)"
}

@test "kill -9: the pinned kernel-side layer still kills a dropped binary; a restart adopts" {
	busybox_container
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

@test "kill -9: the pinned layer still kills a dropped binary; a restart adopts the container" {
	daemon_fixture
	policy enforce
	run_container
	protected "$CID"
	kill -9 "$(cat imprintd.pid)"
	rm -f imprintd.pid
	sleep 0.2
	# fanotify died with the daemon; the kernel-side exec check kills (137)
	run fpod exec "$CID" /bin/sh -c 'mkdir /tmp/k && cp /bin/busybox /tmp/k/busybox && /tmp/k/busybox echo RAN; echo "rc=$?"'
	[[ "$output" != *RAN* ]]
	[[ "$output" == *rc=137* ]]
	start_daemon
	protected "$CID"
	jq -e --arg id "$CID" '.protection.containers[] | select(.id == $id) | .adopted' status.json >/dev/null
	grep -q "adopting 1 protected containers" imprintd.log
	# adopted: fanotify is back (EPERM before the exec: exit 126)
	run fpod exec "$CID" /bin/sh -c '/tmp/k/busybox echo RAN; echo "rc=$?"'
	[[ "$output" != *RAN* ]]
	events_until '[.[] | select(.code == "exec_not_allowed")] | length >= 2'
	# the kill made while nobody listened is read from the pinned ring buffer after the restart
	jq -s -e 'any(.[]; .code == "exec_not_allowed" and .detail.output_fields["evt.layer"] == "bpf-exec")' \
		events.jsonl >/dev/null || fail "$(cat events.jsonl)"
	fpod rm -f -t 0 "$CID" >/dev/null
	for _ in $(seq 100); do [ -e "$IMPRINTD_PIN/guard_protected" ] || break; sleep 0.1; done
	[ ! -e "$IMPRINTD_PIN/guard_protected" ]
}

# --- the policy store -------------------------------------------------------------------------

@test "tamper: a revoked image" {
	tamper_fixture
	"$IMPRINT" policy revoke policy.json "sha256:$BUSYBOX" --reason test >/dev/null
	sign
	refused revoked
}

@test "tamper: a policy signed by an untrusted key" {
	tamper_fixture
	"$IMPRINT" keygen --out untrusted >/dev/null
	"$IMPRINT" policy add policy.json "oci:$IMAGES/special:latest" >/dev/null
	sign untrusted
	refused policy-store
}

@test "tamper: a policy with a flipped byte" {
	tamper_fixture
	python3 - etc/policy.d/base.dsse <<-'EOF'
		import base64, json, sys
		env = json.load(open(sys.argv[1]))
		p = bytearray(base64.b64decode(env["payload"]))
		i = p.index(b'"deny"') + 1
		p[i] ^= 0x01
		env["payload"] = base64.b64encode(bytes(p)).decode()
		json.dump(env, open(sys.argv[1], "w"))
	EOF
	refused policy-store
}

@test "tamper: a rollback to a lower serial" {
	tamper_fixture
	cp etc/policy.d/base.dsse old.dsse
	"$IMPRINT" policy revoke policy.json "sha256:$BUSYBOX" >/dev/null
	sign
	start paranoid "$BUSYBOX" # records the higher serial
	[ "$status" -ne 0 ]
	cp old.dsse etc/policy.d/base.dsse
	refused policy-store
	[[ "$(tail -1 audit-paranoid.jsonl | jq -r '.reasons[0].message')" == *rollback* ]]
}

@test "tamper: an expired policy" {
	tamper_fixture
	jq '.expires = "2021-01-01T00:00:00Z"' policy.json >p.json && mv p.json policy.json
	sign
	refused policy-store
	[[ "$(tail -1 audit-paranoid.jsonl | jq -r '.reasons[0].message')" == *expired* ]]
}

@test "imprintd: a policy that expires while imprintd runs stops being honoured" {
	tamper_fixture
	local until
	until=$(date -u -d '+4 seconds' +%Y-%m-%dT%H:%M:%SZ)
	jq --arg t "$until" '.expires = $t' policy.json >p.json && mv p.json policy.json
	sign
	# the control: honoured until then (imprintd loaded it, and keeps it)
	start daemon "$BUSYBOX"
	[ "$status" -eq 0 ] || fail "$output"
	start daemon "$BUSYBOX"
	[ "$status" -eq 0 ] || fail "$output"
	while [ "$(date -u +%s)" -le "$(date -u -d "$until" +%s)" ]; do sleep 0.5; done
	refused policy-store
	[[ "$(tail -1 audit-daemon.jsonl | jq -r '.reasons[0].message')" == *expired* ]] ||
		fail "$(tail -1 audit-daemon.jsonl)"
}

@test "imprintd: another directory mounted over the policy directory is read at the next start" {
	tamper_fixture
	mkdir -p other.d
	"$IMPRINT" policy revoke policy.json "sha256:$BUSYBOX" --reason test >/dev/null
	"$IMPRINT" policy sign policy.json --key signer.key -o other.d/base.dsse >/dev/null
	# no file in the watched directory changes: only what the path names does
	mount --bind other.d etc/policy.d
	run refused revoked
	umount etc/policy.d
	[ "$status" -eq 0 ] || fail "$output"
}

# --- imprintd's cache, a stale imprintd socket ------------------------------------------------

@test "imprintd: the cache is used, and a change after verification is seen (status figures)" {
	tamper_fixture
	before=$("$IMPRINT" daemon --status --socket "$SOCK")
	start daemon "$BUSYBOX"
	[ "$status" -eq 0 ]
	after=$("$IMPRINT" daemon --status --socket "$SOCK")
	[ "$(jq .hits <<<"$after")" -gt "$(jq .hits <<<"$before")" ]
	touch "$(L /etc/passwd)" # same content: an event all the same, so the layer is re-verified
	start daemon "$BUSYBOX"
	[ "$status" -eq 0 ]
	last=$("$IMPRINT" daemon --status --socket "$SOCK")
	[ "$(jq .invalidations <<<"$last")" -gt "$(jq .invalidations <<<"$after")" ]
	[ "$(jq .misses <<<"$last")" -gt "$(jq .misses <<<"$after")" ]
}

@test "imprint-hook: imprintd answers without imprint starting; imprintd gone, imprint hook --paranoid verifies" {
	tamper_fixture
	mkdir -p front hooks-front
	cp "$(dirname "$IMPRINT")/imprint-hook" front/
	# the imprint beside this copy records each time the front hands it the hook
	printf '#!/bin/bash\necho "$*" >>%q\nexec -a imprint %q "$@"\n' "$F/front/full.log" "$IMPRINT" >front/imprint
	chmod +x front/imprint
	jq --arg front "$F/front/imprint-hook" '.hook.path = $front' hooks-daemon/imprint.json |
		sed 's|audit-daemon.jsonl|audit-front.jsonl|' >hooks-front/imprint.json
	rm -f front/full.log
	start front "$BUSYBOX"
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(jq -r .verdict audit-front.jsonl)" = allowed ]
	[ ! -e front/full.log ] || fail "imprint ran: $(cat front/full.log)"
	echo x >>"$(L /etc/passwd)"
	start front "$BUSYBOX"
	[ "$status" -ne 0 ]
	[[ "$output" == *"imprint: refused"*"/etc/passwd"* ]] || fail "$output"
	[ ! -e front/full.log ] || fail "imprint ran: $(cat front/full.log)"
	# a socket nobody answers on (a killed imprintd leaves it): the full hook, paranoid
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$F/dead.sock"
	sed -i "s|\"$SOCK\"|\"$F/dead.sock\"|" hooks-front/imprint.json
	start front "$BUSYBOX"
	[ "$status" -ne 0 ]
	[[ "$output" == *"verifying in imprint hook"* ]] || fail "$output"
	grep -q -- "^hook .*--paranoid$" front/full.log || fail "$(cat front/full.log)"
	[ "$(tail -1 audit-front.jsonl | jq -r .reason)" = file ]
	rm -f "$F/dead.sock"
}

@test "imprint-runc front: imprintd not answering (a stale socket) deletes what runc created and verifies before creating again" {
	daemon_fixture
	skip_unless runc
	skip_unless umoci
	skip_unless python3
	local id=fs-$$ rc=0
	# busybox in the policy: the pristine bundle is allowed
	policy enforce
	bundle "$F/fs" .
	# a socket file nobody listens on, as a killed imprintd leaves it
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$F/stale.sock"
	rm -f "$F/front/full.log"
	front "$F/stale.sock" create -b "$F/fs" "$id" </dev/null >/dev/null 2>"$F/fs.err" ||
		fail "create: $(cat "$F/fs.err")"
	grep -q "imprintd at $F/stale.sock: Connection refused; verifying here" "$F/fs.err" || fail "$(cat "$F/fs.err")"
	# handed to the full wrapper, paranoid: it verified the bundle, then runc created it
	grep -q -- "--imprint-paranoid=yes .* create -b $F/fs $id" "$F/front/full.log" || fail "$(cat "$F/front/full.log")"
	[ "$(runc --root "$F/runc" state "$id" | jq -r .status)" = created ]
	[ "$(jq -r --arg id "$id" 'select(.container == $id) | .verdict' "$F/audit-front.jsonl")" = allowed ]
	runc --root "$F/runc" delete -f "$id"
	echo 'evil::0:0::/:/bin/sh' >>"$F/fs/rootfs/etc/passwd"
	front "$F/stale.sock" create -b "$F/fs" "$id-bad" </dev/null >"$F/fs-bad.out" 2>&1 || rc=$?
	[ "$rc" -eq 1 ] || fail "exit $rc: $(cat "$F/fs-bad.out")"
	grep -q "imprint: refused" "$F/fs-bad.out" || fail "$(cat "$F/fs-bad.out")"
	run runc --root "$F/runc" state "$id-bad"
	[ "$status" -ne 0 ]
}

# --- starving the protector -------------------------------------------------------------------

@test "a flood of 10,000 denied execs does not freeze the container or the protector" {
	busybox_container
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

