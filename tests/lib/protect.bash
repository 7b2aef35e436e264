# Helpers for the tests that run `imprint protect` on a container $CID in the background
# (protect.bats, bypass.bats, files.bats): its output goes to out.json and err.txt in the
# current directory, its pins to $PIN.

# protect_start ARGS...: `imprint protect --container $CID ... ARGS` in the background;
# returns once its start line is out (fails if it exits first or takes 20 s).
protect_start() {
	local before
	before=$(grep -c '"protect_started"' out.json 2>/dev/null || true)
	"$IMPRINT" protect --container "$CID" --storage-root "$IMAGES/storage" --pin-dir "$PIN" \
		--json "$@" >>out.json 2>>err.txt &
	PROTECT_PID=$!
	for _ in $(seq 100); do
		[ "$(grep -c '"protect_started"' out.json 2>/dev/null)" -gt "${before:-0}" ] && return 0
		kill -0 "$PROTECT_PID" 2>/dev/null || break
		sleep 0.2
	done
	fail "protect did not start:" "$(cat err.txt)"
}

stop_protect() {
	[ -n "$PROTECT_PID" ] || return 0
	kill -TERM "$PROTECT_PID" 2>/dev/null || true
	wait "$PROTECT_PID" 2>/dev/null || true
	PROTECT_PID=
}

# protect_teardown: stop protect, remove the container and what a test that failed half-way
# may have left pinned (and what the pins attach).
protect_teardown() {
	stop_protect
	tpodman rm -f -t 0 "$CID" >/dev/null 2>&1 || true
	if [ -d "$PIN" ]; then
		rm -f "$PIN"/* && rmdir "$PIN" || true
	fi
}

# cexec SCRIPT: run a shell script in the container; sets status/output like `run`.
cexec() {
	run tpodman exec "$CID" sh -c "$1"
}

# build_probe DIR: compile DIR/probe, a static helper that does what busybox cannot: an
# execveat() of a memfd (`probe memfd FILE ARGV0 ARGS...`: FILE's bytes, fileless), a UDP
# sendto() or a TCP connect() (`probe udp|tcp ADDR PORT`) and an ICMP echo through a ping or a
# raw socket (`probe icmp|raw ADDR`); it prints "sent" and exits 0 when the kernel let it,
# else the error and 1 (usage: 2). Bind-mounted into a container it is a file from outside
# the image: a test allows it explicitly (--allow-exec), and judges what it does.
build_probe() {
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
	gcc -static -O2 -o "$1/probe" "$BATS_FILE_TMPDIR/probe.c"
}

# alerts: rule decision layer target reason, one per line, for everything but the start line
# and plain allows (printed after the protect process wrote them out). -R and fromjson?: protect
# may be in the middle of a line. A file that reports other fields defines its own alerts();
# assert_alert LINE and assert_no_alerts judge whatever alerts() prints.
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
