#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Regenerate the seed corpora in tests/fuzz/corpus/NAME/.

usage: tests/fuzz/mkseeds.py [IMAGES_DIR [IMPRINT]]

IMAGES_DIR (default /var/tmp/imprint-test-images, made by tests/lib/mkimages.sh) supplies real
index/manifest/config documents and real layer members; IMPRINT (default build/imprint) writes
real fingerprint files. Without them only the synthetic and hostile seeds are written. Every
seed is kept under 64 KiB. Files the fuzzers found are added by hand (crash-*, timeout-*,
found-*) and are not touched here.
"""
import bz2
import gzip
import hashlib
import io
import json
import lzma
import os
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, 'corpus')
REPRODUCERS = os.path.join(HERE, 'reproducers')
IMAGES = sys.argv[1] if len(sys.argv) > 1 else '/var/tmp/imprint-test-images'
IMPRINT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, '..', '..', 'build', 'imprint')
SEED_MAX = 64 * 1024
CAP = bytes.fromhex('0100000200200000000000000000000000000000')


def put(target, name, data, where=CORPUS):
    if isinstance(data, str):
        data = data.encode()
    assert len(data) <= SEED_MAX, (target, name, len(data))
    os.makedirs(os.path.join(where, target), exist_ok=True)
    with open(os.path.join(where, target, name), 'wb') as f:
        f.write(data)


# tar

def member(name, kind='file', data=b'', mode=None, uid=0, gid=0, link='', pax=None, size=None):
    ti = tarfile.TarInfo(name)
    ti.uid, ti.gid, ti.mtime = uid, gid, 1700000000
    ti.type = {'file': tarfile.REGTYPE, 'dir': tarfile.DIRTYPE, 'symlink': tarfile.SYMTYPE,
               'hardlink': tarfile.LNKTYPE, 'char': tarfile.CHRTYPE, 'block': tarfile.BLKTYPE,
               'fifo': tarfile.FIFOTYPE}[kind]
    ti.mode = mode if mode is not None else (0o755 if kind == 'dir' else 0o644)
    ti.linkname = link
    if kind in ('char', 'block'):
        ti.devmajor, ti.devminor = 1, 3
    if pax:
        ti.pax_headers = pax
    ti.size = len(data) if size is None else size
    return ti, data


def tar(members, fmt=tarfile.PAX_FORMAT):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode='w', format=fmt) as t:
        for ti, data in members:
            t.addfile(ti, io.BytesIO(data) if ti.isreg() else None)
    return b.getvalue()


def sparse(realsize, offset, data):
    """A GNU sparse 1.0 member (pax): one data region of data at offset, holes elsewhere."""
    body = (b'1\n%d\n%d\n' % (offset, len(data))).ljust(512, b'\0') + data
    ti = tarfile.TarInfo('GNUSparseFile.0/f')
    ti.size, ti.mtime = len(body), 1700000000
    ti.pax_headers = {'GNU.sparse.major': '1', 'GNU.sparse.minor': '0',
                      'GNU.sparse.name': 'sparse', 'GNU.sparse.realsize': str(realsize)}
    return ti, body


def xattr_pax(name, value):
    # Go's archive/tar writes SCHILY.xattr.NAME with the raw bytes (hdrcharset binary here)
    return {'SCHILY.xattr.' + name: value.decode('latin-1'), 'hdrcharset': 'BINARY'}


def tar_seeds():
    rich = [
        member('./', 'dir'),
        member('etc/', 'dir'),
        member('etc/passwd', data=b'root:x:0:0:root:/root:/bin/sh\n'),
        member('etc/.wh.shadow', mode=0),
        member('etc/passwd-', 'hardlink', link='etc/passwd'),
        member('opt/', 'dir', mode=0o750, uid=10, gid=20),
        member('opt/.wh..wh..opq', mode=0),
        member('opt/new', data=b'new\n', mode=0o600, uid=1000, gid=1000),
        member('usr/bin/ping', data=b'\x7fELF ping', mode=0o4755,
               pax=xattr_pax('security.capability', CAP)),
        member('usr/bin/sh', 'symlink', link='busybox'),
        member('dev/null', 'char', mode=0o666),
        member('dev/sda', 'block', mode=0o660),
        member('run/fifo', 'fifo', mode=0o600),
        member('usr/share/doc/name with space%', data=b'x'),
        member('usr/share/doc/caf\u00e9', data=b'cafe'),
    ]
    plain = tar(rich)
    put('tar', 'synthetic-rich.tar', plain)
    put('tar', 'synthetic-rich.tar.gz', gzip.compress(plain, mtime=0))
    put('tar', 'synthetic-rich.tar.bz2', bz2.compress(plain))
    put('tar', 'synthetic-rich.tar.xz', lzma.compress(plain))
    try:
        z = subprocess.run(['zstd', '-q', '-c'], input=plain, capture_output=True, check=True)
        put('tar', 'synthetic-rich.tar.zst', z.stdout)
    except (OSError, subprocess.CalledProcessError):
        pass
    put('tar', 'synthetic-gnu.tar', tar([member('a/', 'dir'), member('a/f', data=b'f'),
                                         member('a/l', 'symlink', link='f')],
                                        tarfile.GNU_FORMAT))
    put('tar', 'synthetic-ustar.tar', tar([member('x', data=b'x')], tarfile.USTAR_FORMAT))
    put('tar', 'empty-archive.tar', b'\0' * 1024)
    put('tar', 'empty-file', b'')

    # hostile
    put('tar', 'hostile-dotdot.tar', tar([member('ok', data=b'ok'), member('../x', data=b'x')]))
    put('tar', 'hostile-dotdot-inner.tar', tar([member('a/../../etc/shadow', data=b'x')]))
    put('tar', 'hostile-absolute.tar', tar([member('/etc/passwd', data=b'x')]))
    put('tar', 'hostile-hardlink-escape.tar', tar([member('x', 'hardlink', link='../../etc/shadow')]))
    put('tar', 'hostile-hardlink-missing.tar', tar([member('x', 'hardlink', link='nothing')]))
    put('tar', 'hostile-hardlink-chain.tar',
        tar([member('x', data=b'x'), member('z', 'hardlink', link='x'),
             member('m', 'hardlink', link='z')]))
    put('tar', 'hostile-hardlink-self.tar', tar([member('s', 'hardlink', link='s')]))
    put('tar', 'hostile-hardlink-to-dir.tar', tar([member('d', 'dir'),
                                                   member('h', 'hardlink', link='d')]))
    put('tar', 'hostile-inside-symlink.tar',
        tar([member('lib', 'symlink', link='/usr/lib'), member('lib/evil.so', data=b'x')]))
    put('tar', 'hostile-through-lower-symlink.tar', tar([member('lib/a/b.so', data=b'x')]))
    put('tar', 'hostile-file-over-lower-dir.tar', tar([member('etc', data=b'not a dir')]))
    put('tar', 'hostile-whiteout-names.tar',
        tar([member('d/.wh.', mode=0), member('d/.wh..', mode=0), member('d/.wh...', mode=0)]))
    put('tar', 'hostile-whiteout-and-file.tar',
        tar([member('etc/passwd', data=b'x'), member('etc/.wh.passwd', mode=0)]))
    put('tar', 'hostile-whiteout-then-dir.tar',
        tar([member('.wh.etc', mode=0), member('etc/', 'dir'), member('etc/x', data=b'x')]))
    put('tar', 'hostile-root-opaque.tar', tar([member('.wh..wh..opq', mode=0)]))
    put('tar', 'hostile-dup-types.tar',
        tar([member('a', 'dir'), member('a/b', data=b'b'), member('a', data=b'file now')]))
    put('tar', 'hostile-long-name.tar', tar([member('d/' + 'n' * 4200, data=b'x')]))
    put('tar', 'hostile-deep.tar', tar([member('/'.join(['d'] * 1500) + '/f', data=b'x')]))
    put('tar', 'hostile-big-uid.tar', tar([member('u', data=b'x', pax={'uid': '99999999999'})]))
    put('tar', 'hostile-many-xattrs.tar',
        tar([member('f', data=b'x', pax={'SCHILY.xattr.user.%d' % i: 'v' for i in range(80)}
                    | {'SCHILY.xattr.security.capability': 'x' * 100})]))
    put('tar', 'hostile-xattr-dup.tar',
        tar([member('f', data=b'x', pax={'SCHILY.xattr.security.capability': 'a',
                                         'LIBARCHIVE.xattr.security.capability': 'Yg=='})]))
    t = tar([member('big', data=b'0123456789' * 300)])
    put('tar', 'hostile-truncated-data.tar', t[:512 + 1000])
    put('tar', 'hostile-truncated-header.tar', t[:300])
    put('tar', 'hostile-truncated.tar.gz', gzip.compress(t, mtime=0)[:60])
    hdr = bytearray(tar([member('huge', data=b'')])[:512])
    hdr[124:136] = b'77777777777\0'  # size field: 8 GiB, no data
    hdr[148:156] = b' ' * 8
    hdr[148:156] = b'%06o\0 ' % sum(hdr)
    put('tar', 'hostile-huge-size.tar', bytes(hdr) + b'\0' * 1024)
    put('tar', 'hostile-not-tar.txt', b'this is not a tar archive\n' * 20)
    put('tar', 'synthetic-gnu-sparse-1.0.tar', tar([sparse(100000, 50000, b'hello')]))
    # open bug: layer_tar.c hash_data() hashes every hole byte with no cap, so 10 KiB of tar
    # claiming a 1 PiB sparse file keeps a CPU busy for days (replayed in the 'bugs' suite)
    put('tar', 'timeout-sparse-1pib.tar', tar([sparse(1 << 50, (1 << 50) - 5, b'hello')]),
        REPRODUCERS)

    # real layers (tests/lib/mkimages.sh): the small layers as they are, and small members of
    # the big ones (headers and pax records kept)
    special = os.path.join(IMAGES, 'special')
    if os.path.isdir(special):
        man = read_manifest(special)
        for i, layer in enumerate(man['layers']):
            path = blob_path(special, layer['digest'])
            if os.path.getsize(path) <= SEED_MAX:
                put('tar', 'real-special-layer%d.tar.gz' % (i + 1), open(path, 'rb').read())
            else:
                put('tar', 'real-special-layer%d-small-members.tar' % (i + 1),
                    small_members(path, 40 * 1024))
    busybox = os.path.join(IMAGES, 'busybox')
    if os.path.isdir(busybox):
        man = read_manifest(busybox)
        put('tar', 'real-busybox-small-members.tar',
            small_members(blob_path(busybox, man['layers'][0]['digest']), 32 * 1024))


def small_members(path, budget):
    out = io.BytesIO()
    with tarfile.open(path) as src, tarfile.open(fileobj=out, mode='w',
                                                 format=tarfile.PAX_FORMAT) as dst:
        used = 0
        for ti in src:
            if ti.isreg() and ti.size > 512:
                continue
            cost = 1536 + ti.size
            if used + cost > budget:
                continue
            used += cost
            dst.addfile(ti, src.extractfile(ti) if ti.isreg() else None)
    return out.getvalue()


# manifest

def blob_path(layout, digest):
    return os.path.join(layout, 'blobs', 'sha256', digest.split(':', 1)[1])


def read_manifest(layout):
    index = json.load(open(os.path.join(layout, 'index.json')))
    return json.load(open(blob_path(layout, index['manifests'][0]['digest'])))


def manifest_seeds():
    for name in ('busybox', 'special', 'variants', 'debian', 'busybox-zstd', 'busybox-plain'):
        layout = os.path.join(IMAGES, name)
        if not os.path.isdir(layout):
            continue
        index = open(os.path.join(layout, 'index.json'), 'rb').read()
        desc = json.loads(index)['manifests'][0]
        manifest = open(blob_path(layout, desc['digest']), 'rb').read()
        config = open(blob_path(layout, json.loads(manifest)['config']['digest']), 'rb').read()
        put('manifest', 'real-%s-index.json' % name, index)
        put('manifest', 'real-%s-manifest.json' % name, manifest)
        put('manifest', 'real-%s-config.json' % name, config)
        put('manifest', 'real-%s-all' % name, index + b'\0' + manifest + b'\0' + config)

    d = 'sha256:' + '0' * 64
    layer = {'mediaType': 'application/vnd.oci.image.layer.v1.tar+gzip', 'digest': d, 'size': 1}
    multi = {'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.index.v1+json',
             'manifests': [
                 {'mediaType': 'application/vnd.oci.image.manifest.v1+json', 'digest': d,
                  'size': 10, 'platform': {'os': 'linux', 'architecture': a, 'variant': v}}
                 for a, v in (('amd64', None), ('arm64', 'v8'), ('arm', 'v7'))]}
    put('manifest', 'synthetic-multiplatform-index.json', json.dumps(multi))
    combined = {'schemaVersion': 2, 'config': {'digest': d, 'size': 2},
                'layers': [layer, layer], 'rootfs': {'diff_ids': [d, d]},
                'os': 'linux', 'architecture': 'amd64', 'variant': 'v1',
                'manifests': [{'digest': d, 'size': 1,
                               'annotations': {'org.opencontainers.image.ref.name': 'latest'}}]}
    put('manifest', 'synthetic-one-doc-all-roles.json', json.dumps(combined))

    # hostile
    put('manifest', 'hostile-deep-nesting.json', '[' * 20000 + ']' * 20000)
    put('manifest', 'hostile-deep-object.json', '{"a":' * 5000 + '1' + '}' * 5000)
    put('manifest', 'hostile-huge-numbers.json',
        '{"schemaVersion":1e400,"config":{"digest":"%s","size":99999999999999999999999},'
        '"layers":[{"digest":"%s","size":9223372036854775807,"mediaType":"%s"}]}'
        % (d, d, layer['mediaType']))
    put('manifest', 'hostile-negative-size.json',
        json.dumps({'config': {'digest': d, 'size': -1}, 'layers': []}))
    put('manifest', 'hostile-too-many-layers.json',
        json.dumps({'config': {'digest': d, 'size': 1}, 'layers': [1] * 1025}))
    put('manifest', 'hostile-diffid-count.json',
        json.dumps({'config': {'digest': d, 'size': 1}, 'layers': [layer],
                    'rootfs': {'diff_ids': [d, d]}}))
    put('manifest', 'hostile-bad-digests.json',
        json.dumps({'config': {'digest': 'sha512:' + '0' * 128, 'size': 1},
                    'manifests': [{'digest': 'sha256:ABC', 'size': 1}, 5, None],
                    'layers': [{'digest': 'sha256:' + 'G' * 64, 'size': 1}]}))
    put('manifest', 'hostile-duplicate-keys.json', '{"layers":[],"layers":[]}')
    put('manifest', 'hostile-nul-escape.json', '{"config":{"digest":"sha256:\\u0000","size":1}}')
    put('manifest', 'hostile-invalid-utf8.json', b'{"os":"\xff\xfe","architecture":"\xc3"}')
    put('manifest', 'hostile-not-object.json', '[1,2,3]')
    put('manifest', 'hostile-empty-parts', b'\0\0')
    put('manifest', 'hostile-wrong-types.json',
        json.dumps({'manifests': {'a': 1}, 'config': [], 'layers': {}, 'rootfs': 'x',
                    'os': 1, 'architecture': None}))


# fingerprint

def fingerprint_seeds():
    for name, args in (('busybox', []), ('busybox', ['--with-layers']),
                       ('special', ['--with-layers']), ('special', [])):
        layout = os.path.join(IMAGES, name)
        if not os.path.isdir(layout) or not os.access(IMPRINT, os.X_OK):
            continue
        out = subprocess.run([IMPRINT, 'fingerprint'] + args + ['oci:%s:latest' % layout],
                             capture_output=True, check=True).stdout
        if len(out) <= SEED_MAX:
            put('fingerprint', 'real-%s%s.json' % (name, args[0] if args else ''), out)

    def doc(entries, layers=None):
        canon = 'imprint-content-v1\n'
        return {'apiVersion': 'imprint.dev/v1alpha1', 'kind': 'ImageFingerprint',
                'image': {'manifestDigest': None, 'configDigest': None, 'layers': layers or []},
                'excludes': [], 'rootDigest': 'sha256:' + hashlib.sha256(canon.encode()).hexdigest(),
                'entries': entries}
    put('fingerprint', 'synthetic-empty.json', json.dumps(doc([])))
    put('fingerprint', 'hostile-deep-nesting.json', '{"entries":' + '[' * 20000 + ']' * 20000 + '}')
    put('fingerprint', 'hostile-huge-numbers.json',
        json.dumps(doc([{'path': '/a', 'type': 'file', 'mode': '0644', 'uid': 4294967296,
                         'gid': -1, 'size': 18446744073709551616, 'sha256': '0' * 64}]))
        .replace('18446744073709551616', '1e999'))
    put('fingerprint', 'hostile-bad-entries.json',
        json.dumps(doc([{'path': '/a/../b', 'type': 'dir', 'mode': '0755', 'uid': 0, 'gid': 0},
                        {'path': '/x', 'type': 'whiteout', 'mode': '0000', 'uid': 0, 'gid': 0},
                        {'path': '/y', 'type': 'hardlink', 'mode': '0644', 'uid': 0, 'gid': 0}])))
    put('fingerprint', 'hostile-layers-mismatch.json',
        json.dumps(doc([], layers=[{'digest': None, 'diffID': None, 'tableDigest': None,
                                    'entries': -1}]) | {'layers': [{}, {}]}))


# behavior (RAD's fingerprint format, docs/behavior.md)

RAD_CATALOG = os.environ.get('IMPRINT_RAD_CATALOG',
                             os.path.join(HERE, '..', '..', '..', 'shared', 'rad-catalog'))


def trim_process(p, depth=0):
    """Keep a few of everything, so that a catalog file makes a small seed."""
    p = dict(p)
    for key, keep in (('files', 4), ('connections', 2), ('programs', 2), ('children', 3)):
        if isinstance(p.get(key), list):
            p[key] = p[key][:keep]
    if depth > 3:
        p.pop('children', None)
    if 'children' in p and p['children']:
        p['children'] = [trim_process(c, depth + 1) for c in p['children']]
    for g in p.get('programs') or []:
        if isinstance(g.get('args'), list):
            g['args'] = g['args'][:4]
    return p


def behavior_seeds():
    catalog = []
    for top, _, names in os.walk(RAD_CATALOG):
        if 'fingerprint.json' in names:
            catalog.append(os.path.join(top, 'fingerprint.json'))
    # one per image (images/ and images-v2/ hold copies), the exec entry's file among them
    seen = set()
    for path in sorted(catalog):
        with open(path, 'rb') as f:
            raw = f.read()
        doc = json.loads(raw)
        name = doc['containers'][0]['name']
        if name in seen:
            continue
        seen.add(name)
        for c in doc['containers']:
            for entry in ('entrypoint', 'exec'):
                if entry in c:
                    c[entry]['process'] = trim_process(c[entry]['process'])
        put('behavior', 'rad-%s.json' % name, json.dumps(doc, indent=1))

    head = {'kind': 'Fingerprint', 'apiVersion': 'rad.ksoc.com/v1alpha1'}

    def doc(process, exec_=None, **extra):
        c = {'name': 'c', 'imageName': 'docker.io/x:1',
             'imageDigest': 'sha256:' + '1c39480406a55c9d22dafd64d8f8d3b175eb4acf74a2895540825fa9785f4eaa',
             'entrypoint': {'process': process}}
        if exec_:
            c['exec'] = {'process': exec_}
        return json.dumps(head | {'metadata': {'creationTimestamp': '2024-05-02T10:00:00Z'},
                                  'containers': [c]} | extra)

    date = {'uid': 1000, 'gid': 1000, 'programs': [{'comm': 'date', 'args': ['date', '+%s']}],
            'files': [{'path': '/etc/localtime'}]}
    put('behavior', 'synthetic-worked-example.json', doc({
        'uid': 1000, 'gid': 1000, 'children': [date, date, date | {'count': 4}],
        'programs': [{'comm': 'entrypoint.sh', 'args': ['/entrypoint.sh']},
                     {'comm': 'web', 'args': ['/usr/bin/web', '--port=8080'],
                      'exeSha256': 'ab' * 32}],
        'files': [{'path': '/proc/4242/status'}, {'path': '/tmp/tmp.Qx7rT2mZ9a'},
                  {'path': '/run/secrets/kubernetes.io/serviceaccount/..2024_01_31_12_13_28.1234567/token'},
                  {'path': '/proc/self/task/17/fd/3'}, {'path': '/dev/fd/9'},
                  {'path': '/tmp/nginx-cfg1234567890'}, {'path': '/tmp/tmpk2j3l4m5'}],
        'connections': [{'address': '10.0.0.5', 'hostname': 'db', 'port': 5432},
                        {'address': '::FFFF:10.0.0.1', 'port': 53, 'protocol': 'udp'},
                        {'address': 'fe80::1', 'hostname': '', 'port': 0}],
        'listening': [{'port': 8080}, {'port': 8080}]},
        exec_={'programs': [{'comm': 'exec'}], 'children': [{'uid': 0, 'gid': 0, 'programs': [
            {'comm': 'sh', 'args': ['sh']}]}]},
        imprint={'complete': False, 'lostEvents': 12}))
    # two replicas of one container in one file, Go's nulls, an empty document
    two = json.loads(doc({'uid': 0, 'gid': 0, 'files': [{'path': '/a'}], 'children': None}))
    two['containers'].append(json.loads(doc({'uid': 0, 'gid': 0, 'files': [{'path': '/b'}]}))['containers'][0])
    two['metadata'] = {'creationTimestamp': '2024-01-31T12:13:28.123+02:00'}
    put('behavior', 'synthetic-replicas.json', json.dumps(two))
    put('behavior', 'synthetic-minimal.json', json.dumps(head | {'containers': []}))
    put('behavior', 'synthetic-no-ids.json', doc({'programs': [{'comm': 'x', 'args': None}],
                                                   'count': 9223372036854775807}))
    # hostile
    put('behavior', 'hostile-replicas-disagree.json',
        json.dumps(two | {'containers': [two['containers'][0],
                                         two['containers'][1] | {'entrypoint': {'process': {'uid': 1, 'gid': 1}}}]}))
    p = {'uid': 0, 'gid': 0}
    for _ in range(300):
        p = {'uid': 0, 'gid': 0, 'children': [p]}
    put('behavior', 'hostile-deep.json', doc(p))
    put('behavior', 'hostile-nesting.json', '[' * 5000 + ']' * 5000)
    put('behavior', 'hostile-values.json', doc({'uid': 4294967296, 'gid': -1}))
    put('behavior', 'hostile-paths.json', doc({'uid': 0, 'gid': 0, 'files': [
        {'path': 'relative'}, {'path': '/a/../b'}, {'path': '/a/'}]}))
    put('behavior', 'hostile-args.json', doc({'programs': [{'comm': 'x', 'args': ['a'] * 65}]}))
    put('behavior', 'hostile-strings.json', doc({'programs': [{'comm': 'x\u0000y'}]}))
    put('behavior', 'hostile-lost.json', doc({}, imprint={'complete': True, 'lostEvents': 3}))


if __name__ == '__main__':
    tar_seeds()
    manifest_seeds()
    fingerprint_seeds()
    behavior_seeds()
