#!/usr/bin/env bash
# tests/lib/mkimages.sh OUTDIR NAME...: build the real test images the integration tests read.
#
# NAME is busybox, special, debian, variants or all. Every image is built from Debian packages
# with umoci, as an OCI image layout, and tagged `latest` unless said otherwise:
#
#   OUTDIR/busybox/         one layer: busybox-static, applet symlinks, /etc/passwd, /etc/group,
#                           a config with entrypoint, cmd, env, user, working dir, exposed port
#   OUTDIR/busybox-zstd/    the same image, layers recompressed with zstd (skopeo)
#   OUTDIR/busybox-plain/   the same image, layers uncompressed (ocitool.py decompress)
#   OUTDIR/special/         four layers on top of the busybox content:
#                             1 (umoci) busybox content + files the later layers delete
#                             2 (umoci) whiteouts (.wh.NAME: a file, a whole dir, files of a dir
#                                       recreated), setuid/setgid files, a hardlink pair, symlinks,
#                                       a file with security.capability, files owned by 1000:1000,
#                                       a fifo, a char device, names with a space, a %, UTF-8,
#                                       and /a, /a/b, /a-b (sort order)
#                             3 (hand-built tar, `umoci raw add-layer`) an opaque whiteout
#                                       opt/old/.wh..wh..opq plus new content in /opt/old
#                                       (umoci repack never writes opaque markers itself)
#                             4 (umoci) deletes a file added in layer 2, edits /etc/passwd
#   OUTDIR/debian/          one layer: debootstrap --variant=minbase bookworm (cached as a tarball
#                           in ${IMPRINT_CACHE:-/var/cache/imprint-test}/debian-minbase.tar)
#   OUTDIR/variants/        ONE layout holding several refs, for `imprint diff`:
#                             base      the busybox content (one layer)
#                             content   base + one byte of /bin/busybox flipped (same size)
#                             mode      base + chmod u+s /bin/busybox
#                             owner     base + chown 1000:1000 /etc/passwd
#                             target    base + /bin/sh retargeted busybox -> /bin/busybox
#                             added     base + /etc/added.txt
#                             removed   base - /bin/wget
#                             xattr     base + security.capability on /bin/busybox
#                           Each variant is base plus one umoci layer holding the change.
#
# For busybox, special and debian it also writes:
#   OUTDIR/NAME.oci.tar       oci-archive (skopeo copy oci:... oci-archive:...)
#   OUTDIR/NAME.docker.tar    docker-archive (podman save, RepoTags localhost/NAME:latest)
#   and loads the image into the private podman store OUTDIR/storage (runroot OUTDIR/run,
#   overlay driver) as localhost/NAME:latest, for containers-storage: tests.
#
# Each NAME is rebuilt only if OUTDIR/.NAME.done or one of its outputs is missing (delete the stamp
# to force a rebuild). Must run as root.
set -euo pipefail

usage() {
	echo "usage: $0 OUTDIR busybox|special|debian|variants|all..." >&2
	exit 2
}
[ $# -ge 2 ] || usage
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
shift
HERE=$(cd "$(dirname "$0")" && pwd)
# one builder at a time per OUTDIR (bats --jobs runs several setup_file at once)
exec 9>"$OUT/.lock"
flock 9
CACHE=${IMPRINT_CACHE:-/var/cache/imprint-test}
MIRROR=${IMPRINT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
WORK=$(mktemp -d "$OUT/.work.XXXXXX")

# debootstrap mounts /proc (and may mount more) inside its target and leaves them mounted when it
# fails: unmount whatever is below WORK before removing it, and never cross into a mount.
cleanup() {
	local m
	for m in $(awk -v w="$WORK/" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
		umount -l "$m" || true
	done
	rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

log() { echo "mkimages: $*" >&2; }

tpodman() {
	podman --root "$OUT/storage" --runroot "$OUT/run" --storage-driver overlay "$@"
}

APPLETS="[ [[ sh ash ls cat cp mv rm ln mkdir rmdir chmod chown true false echo printf id date
	wget nc env sleep ps grep sed awk head tail wc sort uniq tr find xargs vi tar gzip gunzip
	hostname uname whoami touch test kill mount umount ping ip which du df stat sha256sum md5sum
	dd tee less basename dirname readlink pwd"

# busybox_rootfs DIR: fill DIR with the busybox image's files.
busybox_rootfs() {
	local r=$1 a
	mkdir -p "$r"/{bin,etc,root,tmp,home,var,proc,sys,dev}
	chmod 0700 "$r/root"
	chmod 1777 "$r/tmp"
	install -m 0755 /bin/busybox "$r/bin/busybox"
	for a in $APPLETS; do
		ln -s busybox "$r/bin/$a"
	done
	cat >"$r/etc/passwd" <<-'EOF'
		root:x:0:0:root:/root:/bin/sh
		daemon:x:1:1:daemon:/usr/sbin:/bin/false
		nobody:x:65534:65534:nobody:/nonexistent:/bin/false
	EOF
	cat >"$r/etc/group" <<-'EOF'
		root:x:0:
		daemon:x:1:
		nogroup:x:65534:
	EOF
	chmod 0644 "$r/etc/passwd" "$r/etc/group"
}

# new_image LAYOUT REF BUNDLE: create an empty image and unpack it into BUNDLE.
new_image() {
	[ -f "$1/index.json" ] || umoci init --layout "$1"
	umoci new --image "$1:$2"
	umoci unpack --image "$1:$2" "$3" >/dev/null
}

# archives NAME: oci-archive, load into the private store, docker-archive (podman save).
archives() {
	local name=$1 id tag
	rm -f "$OUT/$name.oci.tar" "$OUT/$name.docker.tar"
	skopeo copy -q "oci:$OUT/$name:latest" "oci-archive:$OUT/$name.oci.tar:latest"
	tpodman rmi -f "localhost/$name:latest" >/dev/null 2>&1 || true
	id=$(tpodman pull -q "oci:$OUT/$name:latest")
	tpodman tag "$id" "localhost/$name:latest"
	# podman names an image pulled from oci:DIR after DIR's path; keep only our name.
	for tag in $(tpodman image inspect --format '{{range .RepoTags}}{{.}} {{end}}' "$id"); do
		[ "$tag" = "localhost/$name:latest" ] || tpodman untag "$id" "$tag"
	done
	tpodman save -q --format docker-archive -o "$OUT/$name.docker.tar" "localhost/$name:latest"
}

build_busybox() {
	local L=$OUT/busybox b=$WORK/busybox
	rm -rf "$L" "$OUT/busybox-zstd" "$OUT/busybox-plain"
	new_image "$L" latest "$b"
	busybox_rootfs "$b/rootfs"
	umoci repack --image "$L:latest" "$b"
	umoci config --image "$L:latest" \
		--config.entrypoint /bin/sh --config.cmd -c --config.cmd 'echo hello from busybox' \
		--config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin --config.env GREETING=hello \
		--config.user root --config.workingdir /root --config.exposedports 8080/tcp \
		--config.label org.example.test=busybox
	umoci gc --layout "$L"
	skopeo copy -q --dest-compress-format zstd "oci:$L:latest" "oci:$OUT/busybox-zstd:latest"
	# skopeo --dest-decompress only applies to dir:, so ocitool writes the uncompressed copy
	python3 "$HERE/ocitool.py" decompress "$L" latest "$OUT/busybox-plain"
	archives busybox
}

# opaque_layer FILE: a tar that makes /opt/old opaque and puts new content in it.
opaque_layer() {
	python3 - "$1" <<-'EOF'
		import io, sys, tarfile
		with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
		    def add(name, kind, mode, data=b""):
		        i = tarfile.TarInfo(name)
		        i.type, i.mode, i.size, i.mtime = kind, mode, len(data), 1700000000
		        t.addfile(i, io.BytesIO(data) if data else None)
		    add("opt/", tarfile.DIRTYPE, 0o755)
		    add("opt/old/", tarfile.DIRTYPE, 0o755)
		    add("opt/old/.wh..wh..opq", tarfile.REGTYPE, 0)
		    add("opt/old/new.txt", tarfile.REGTYPE, 0o644, b"new content after opaque\n")
	EOF
}

build_special() {
	local L=$OUT/special b=$WORK/special r
	rm -rf "$L"
	# layer 1: busybox content plus what later layers delete or hide
	new_image "$L" latest "$b"
	r=$b/rootfs
	busybox_rootfs "$r"
	mkdir -p "$r"/opt/old/sub "$r"/var/gone/deeper "$r"/usr/share/doc "$r"/usr/bin "$r"/usr/lib
	echo "old a" >"$r/opt/old/a.txt"
	echo "old b" >"$r/opt/old/sub/b.txt"
	echo "old c" >"$r/opt/old/c.txt"
	echo "welcome" >"$r/etc/motd"
	echo "gone x" >"$r/var/gone/x"
	echo "gone y" >"$r/var/gone/deeper/y"
	echo "keep" >"$r/usr/share/doc/keep.txt"
	# paths the default exclusions drop
	echo "special" >"$r/etc/hostname"
	echo "127.0.0.1 localhost" >"$r/etc/hosts"
	echo "x" >"$r/proc/should-not-appear"
	umoci repack --refresh-bundle --image "$L:latest" "$b"

	# layer 2: whiteouts and every kind of special file
	rm "$r/etc/motd"
	rm -rf "$r/var/gone"
	rm -rf "$r/opt/old"
	mkdir "$r/opt/old"
	echo "layer 2 content" >"$r/opt/old/l2.txt"
	install -m 4755 /bin/busybox "$r/usr/bin/suidbox"
	install -m 2755 /bin/busybox "$r/usr/bin/sgidbox"
	install -m 0755 /bin/busybox "$r/usr/bin/capbox"
	setcap cap_net_raw+ep "$r/usr/bin/capbox"
	mkdir -p "$r/usr/lib/hl"
	echo "hardlinked content" >"$r/usr/lib/hl/orig"
	ln "$r/usr/lib/hl/orig" "$r/usr/lib/hl/link"
	ln -s ../share/doc/keep.txt "$r/usr/bin/rel-link"
	ln -s /bin/busybox "$r/usr/bin/abs-link"
	ln -s /nonexistent/target "$r/usr/bin/dangling"
	mkdir -p "$r/home/user"
	echo "user data" >"$r/home/user/data.txt"
	chown -R 1000:1000 "$r/home/user"
	chmod 0700 "$r/home/user"
	mkdir -m 1777 "$r/var/sticky"
	mkfifo -m 0600 "$r/var/fifo"
	mknod -m 0666 "$r/usr/lib/null" c 1 3
	echo "to be deleted in layer 4" >"$r/usr/bin/todelete"
	# names that need escaping (mtree \ooo, our %XX) and the component-wise sort order
	echo "space" >"$r/usr/share/doc/name with space"
	echo "percent" >"$r/usr/share/doc/100%.txt"
	echo "utf8" >"$r/usr/share/doc/$(printf 'caf\303\251')"
	mkdir -p "$r/usr/share/doc/a"
	echo "ab" >"$r/usr/share/doc/a/b"
	echo "a-b" >"$r/usr/share/doc/a-b"
	umoci repack --image "$L:latest" "$b"

	# layer 3: an opaque directory (hand-built: umoci writes one .wh. per file instead)
	opaque_layer "$WORK/opaque.tar"
	umoci raw add-layer --image "$L:latest" "$WORK/opaque.tar"

	# layer 4: built on the unpacked result of layers 1-3
	rm -rf "$b"
	umoci unpack --image "$L:latest" "$b" >/dev/null
	rm "$r/usr/bin/todelete"
	echo "user:x:1000:1000:user:/home/user:/bin/sh" >>"$r/etc/passwd"
	echo "user:x:1000:" >>"$r/etc/group"
	umoci repack --image "$L:latest" "$b"
	umoci config --image "$L:latest" \
		--config.entrypoint /usr/bin/suidbox --config.entrypoint sh \
		--config.env PATH=/usr/bin:/bin --config.user 1000:1000 --config.workingdir /home/user \
		--config.exposedports 80/tcp --config.exposedports 53/udp
	umoci gc --layout "$L"
	archives special
}

debian_tarball() {
	local t=$CACHE/debian-minbase.tar r=$WORK/debootstrap
	[ -s "$t" ] && return 0
	mkdir -p "$CACHE"
	log "debootstrap bookworm minbase from $MIRROR (a few minutes; cached in $t)"
	debootstrap --variant=minbase bookworm "$r" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
		tail -20 "$WORK/debootstrap.log" >&2
		return 1
	}
	# what a runtime provides or a build would clean: keep the directories, drop their content
	find "$r/proc" "$r/sys" "$r/dev" "$r/run" -mindepth 1 -delete 2>/dev/null || true
	rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/log/bootstrap.log
	tar --numeric-owner --xattrs --xattrs-include='*' -C "$r" -cpf "$t.tmp" .
	mv "$t.tmp" "$t"
}

build_debian() {
	local L=$OUT/debian b=$WORK/debian
	debian_tarball
	rm -rf "$L"
	new_image "$L" latest "$b"
	tar --numeric-owner --xattrs --xattrs-include='*' -C "$b/rootfs" -xpf "$CACHE/debian-minbase.tar"
	umoci repack --image "$L:latest" "$b"
	umoci config --image "$L:latest" --config.cmd /bin/bash \
		--config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	umoci gc --layout "$L"
	archives debian
}

# variant NAME COMMAND...: base + one layer made by running COMMAND in the unpacked rootfs.
variant() {
	local L=$OUT/variants name=$1 b=$WORK/variant-$1
	shift
	umoci unpack --image "$L:base" "$b" >/dev/null
	(cd "$b/rootfs" && "$@")
	umoci repack --image "$L:$name" "$b"
	rm -rf "$b"
}

flip_byte() {
	python3 - "$1" <<-'EOF'
		import os, sys
		with open(sys.argv[1], "r+b") as f:
		    f.seek(os.path.getsize(sys.argv[1]) // 2)
		    b = f.read(1)
		    f.seek(-1, 1)
		    f.write(bytes([b[0] ^ 0xff]))
	EOF
}

build_variants() {
	local L=$OUT/variants b=$WORK/variants-base
	rm -rf "$L"
	new_image "$L" base "$b"
	busybox_rootfs "$b/rootfs"
	umoci repack --image "$L:base" "$b"
	variant content flip_byte bin/busybox
	variant mode chmod u+s bin/busybox
	variant owner chown 1000:1000 etc/passwd
	variant target ln -sfn /bin/busybox bin/sh
	variant added sh -c 'echo added >etc/added.txt'
	variant removed rm bin/wget
	variant xattr setcap cap_net_raw+ep bin/busybox
	umoci gc --layout "$L"
}

names=()
for n in "$@"; do
	case "$n" in
	all) names+=(busybox special variants debian) ;;
	busybox | special | debian | variants) names+=("$n") ;;
	*) usage ;;
	esac
done
# built NAME: NAME's stamp is there and so is what it made (someone may have removed a part).
built() {
	[ -e "$OUT/.$1.done" ] && [ -f "$OUT/$1/index.json" ] || return 1
	case "$1" in
	variants) return 0 ;;
	esac
	[ -s "$OUT/$1.oci.tar" ] && [ -s "$OUT/$1.docker.tar" ] &&
		tpodman image exists "localhost/$1:latest" 2>/dev/null
}

for n in "${names[@]}"; do
	if built "$n"; then
		continue
	fi
	log "building $n in $OUT"
	"build_$n"
	touch "$OUT/.$n.done"
done
