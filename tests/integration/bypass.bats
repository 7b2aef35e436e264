#!/usr/bin/env bats
# The bypass matrix (docs/bypass-matrix.md), tried the way an attacker would: each row runs
# the attack in a real podman container of the Debian test image (its dynamic loader, bash,
# perl) under `imprint protect`, and each has its control: the same attack with protection off
# succeeds, and the ordinary form (an image file) still works with protection on, so a test
# cannot pass because enforcement was off or because everything breaks.
#
# Executable mappings: the helper `mapper` (C, dynamically linked against the host's glibc,
# which is the image's: Debian 12) maps a file executable the ways a loader or an exploit does
# (mmap, mprotect over one or two mappings, dlopen, a memfd, a 32-bit int 0x80 mmap2). It is a
# file from outside the image, bind-mounted at /h and allowed with --allow-exec /h/mapper; what
# it maps is judged.

load ../lib/common
load ../lib/protect

DEB_LIB=/usr/lib/x86_64-linux-gnu/libz.so.1

setup_file() {
	images debian
	skip_unless gcc
	need "no BTF at /sys/kernel/btf/vmlinux" test -e /sys/kernel/btf/vmlinux
	export HELPERS=$BATS_FILE_TMPDIR/helpers
	mkdir -p "$HELPERS"
	cat >"$BATS_FILE_TMPDIR/mapper.c" <<-'C'
		#define _GNU_SOURCE
		#include <dlfcn.h>
		#include <fcntl.h>
		#include <stdio.h>
		#include <string.h>
		#include <sys/mman.h>
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
			} else {
				fprintf(stderr, "usage: mapper mmap|mprotect|memfd|int80|dlopen FILE | span FILE FILE2\n");
				return 2;
			}
			puts("mapped");
			return 0;
		}
	C
	gcc -O2 -o "$HELPERS/mapper" "$BATS_FILE_TMPDIR/mapper.c"
	# a library from outside the image: on the volume itself
	cp "$DEB_LIB" "$HELPERS/libvolume.so"
	export PIN=/sys/fs/bpf/imprint-bypass-$$
}

setup() {
	W=$BATS_TEST_TMPDIR
	cd "$W"
	CID=$(tpodman run -d --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
		-v "$HELPERS:/h:ro" --entrypoint /bin/sleep localhost/debian:latest 1000)
	PROTECT_PID=
	# the dropped library: an image library's exact bytes, somewhere else
	cexec "cp $DEB_LIB /tmp/libdropped.so"
}

teardown() {
	protect_teardown
}

start_protect() {
	local mode=$1
	shift
	protect_start --mode "$mode" --allow-exec /h/mapper "$@"
}

# alerts: rule decision layer target reason, one per line (not the start line, not allows).
alerts() {
	sleep 0.5
	jq -R -r 'fromjson? | select(.rule != "protect_started" and .decision != "allow") |
		[.rule, .decision, .output_fields["evt.layer"], .output_fields["fd.name"],
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

# killed SCRIPT: the script's last command was killed before it printed anything.
assert_killed() {
	cexec "$1; echo rc=\$?"
	[[ "$output" != *mapped* && "$output" != *RAN* ]] || fail "not stopped: $output"
	assert_contains "rc=137"
}

MAPPINGS=(mmap mprotect memfd int80 dlopen)

@test "control: with no protection every mapping attack works" {
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
	start_protect enforce
	for how in "${MAPPINGS[@]}"; do
		[ "$how" = memfd ] && continue
		# the ordinary form first: the image's own library
		cexec "/h/mapper $how $DEB_LIB"
		assert_status 0
		assert_contains mapped
		assert_killed "/h/mapper $how /tmp/libdropped.so"
	done
	alerts | grep -c "^mmap_not_allowed deny bpf-mmap libdropped.so not_in_image$" |
		grep -qx 4 || fail "$(alerts)"
	# a memfd is never an image file, even holding an image library's bytes
	assert_killed "/h/mapper memfd $DEB_LIB"
	assert_alert "mmap_not_allowed deny bpf-mmap memfd:payload not_in_image"
}

@test "enforce: mprotect over an image mapping and a dropped one at once is killed" {
	start_protect enforce
	cexec "/h/mapper span $DEB_LIB $DEB_LIB"
	assert_status 0
	assert_killed "/h/mapper span $DEB_LIB /tmp/libdropped.so"
	assert_alert "mmap_not_allowed deny bpf-mmap libdropped.so not_in_image"
}

@test "enforce: a library on a volume is killed" {
	start_protect enforce
	assert_killed "/h/mapper mmap /h/libvolume.so"
	assert_alert "mmap_not_allowed deny bpf-mmap libvolume.so not_in_image"
}

@test "enforce: LD_PRELOAD of a dropped library kills the program before it runs; of an image library it runs" {
	start_protect enforce
	cexec "LD_PRELOAD=$DEB_LIB /bin/true && echo RAN"
	assert_contains RAN
	assert_killed "LD_PRELOAD=/tmp/libdropped.so /bin/true && echo RAN"
	# bash, perl: every dynamic program of the image is covered the same way
	assert_killed "LD_PRELOAD=/tmp/libdropped.so perl -e 'print qq(RAN)'"
	assert_alert "mmap_not_allowed deny bpf-mmap libdropped.so not_in_image"
}

@test "enforce: an image library replaced inside the container (copied up) is killed" {
	start_protect enforce
	# the same bytes, but the container's own copy now (upper layer)
	cexec "cp /tmp/libdropped.so $DEB_LIB"
	assert_status 0
	assert_killed "/h/mapper mmap $DEB_LIB"
}

@test "monitor: a dropped library maps and runs, and is reported" {
	start_protect monitor
	cexec "/h/mapper mmap /tmp/libdropped.so && LD_PRELOAD=/tmp/libdropped.so /bin/true && echo RAN"
	assert_status 0
	assert_contains RAN
	assert_alert "mmap_not_allowed would-deny bpf-mmap libdropped.so not_in_image"
}

@test "loader-as-program: allowed by the policy knob, ld.so runs image programs but a dropped one is still killed" {
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
