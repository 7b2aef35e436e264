#!/usr/bin/env python3
"""Build small (often hostile) images for the integration tests.

    ocitool.py tar OUT ENTRY...
        Write an uncompressed tar. ENTRY is KIND:NAME[:ARG], NAME is written verbatim (so
        '../escape' and '/etc/x' stay as they are):
          file:NAME[:CONTENT]   regular file 0644        exe:NAME[:CONTENT]  regular file 0755
          dir:NAME              directory 0755           fifo:NAME           fifo 0644
          symlink:NAME:TARGET   symbolic link            hardlink:NAME:TARGET  hard link

    ocitool.py layout DIR TAR... [--ref REF] [--compress gzip|none] [--media-type TYPE]
                     [--corrupt-gzip] [--platform OS/ARCH]... [--pad-manifest BYTES]
        Write an OCI image layout whose one image has the given tars as layers, with correct
        digests, sizes and diffIDs everywhere. --corrupt-gzip flips bytes in the middle of each
        compressed layer *before* its digest is computed (the digest is right, the stream is
        not). --platform (repeatable) makes REF point to an image index with one manifest per
        platform. --pad-manifest grows the manifest to BYTES with an annotation.

    ocitool.py decompress SRC REF DST
        Copy image REF of layout SRC to a new layout DST with every gzip layer stored
        uncompressed (media type ...layer.v1.tar); the config, and so the image ID, is unchanged.

    ocitool.py docker-archive OUT TAR... [--layer-path PATH] [--repo-tag TAG]
        Write a docker-archive (docker save layout). --layer-path replaces the first layer's
        path in manifest.json (the file is still stored under its honest name).
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import platform
import sys
import tarfile

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar"


def host_arch():
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def dump(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def make_tar(out, entries):
    kinds = {"file": (tarfile.REGTYPE, 0o644), "exe": (tarfile.REGTYPE, 0o755),
             "dir": (tarfile.DIRTYPE, 0o755), "fifo": (tarfile.FIFOTYPE, 0o644),
             "symlink": (tarfile.SYMTYPE, 0o777), "hardlink": (tarfile.LNKTYPE, 0o644)}
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        for spec in entries:
            kind, name, *rest = spec.split(":", 2)
            arg = rest[0] if rest else ""
            info = tarfile.TarInfo(name)
            info.type, info.mode = kinds[kind]
            info.mtime = 1700000000
            data = None
            if kind in ("file", "exe"):
                data = arg.encode()
                info.size = len(data)
            elif kind in ("symlink", "hardlink"):
                info.linkname = arg
            t.addfile(info, io.BytesIO(data) if data is not None else None)


class Layout:
    def __init__(self, path):
        self.path = path
        os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)
        with open(os.path.join(path, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')

    def blob(self, data, media_type):
        digest = sha256(data)
        with open(os.path.join(self.path, "blobs", "sha256", digest[7:]), "wb") as f:
            f.write(data)
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    def write_index(self, descriptors):
        with open(os.path.join(self.path, "index.json"), "wb") as f:
            f.write(dump({"schemaVersion": 2, "manifests": descriptors}))


def config_for(diff_ids, os_name="linux", arch=None):
    return {"architecture": arch or host_arch(), "os": os_name,
            "config": {"Entrypoint": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids}}


def image(layout, layers, diff_ids, os_name, arch, pad):
    cfg = layout.blob(dump(config_for(diff_ids, os_name, arch)), MT_CONFIG)
    manifest = {"schemaVersion": 2, "mediaType": MT_MANIFEST, "config": cfg, "layers": layers}
    if pad:
        filler = pad - len(dump(manifest)) - len(',"annotations":{"pad":""}')
        manifest["annotations"] = {"pad": "x" * max(filler, 0)}
    return layout.blob(dump(manifest), MT_MANIFEST)


def cmd_layout(a):
    layout = Layout(a.dir)
    layers, diff_ids = [], []
    for path in a.tars:
        raw = open(path, "rb").read()
        diff_ids.append(sha256(raw))
        media_type = a.media_type or (MT_LAYER + "+gzip" if a.compress == "gzip" else MT_LAYER)
        data = gzip.compress(raw, mtime=0) if a.compress == "gzip" else raw
        if a.corrupt_gzip:
            mid = len(data) // 2
            data = data[:mid] + bytes(b ^ 0x55 for b in data[mid:mid + 8]) + data[mid + 8:]
        layers.append(layout.blob(data, media_type))
    ref = {"org.opencontainers.image.ref.name": a.ref}
    if not a.platform:
        top = image(layout, layers, diff_ids, "linux", None, a.pad_manifest)
    else:
        manifests = []
        for p in a.platform:
            os_name, arch = p.split("/", 1)
            d = image(layout, layers, diff_ids, os_name, arch, a.pad_manifest)
            d["platform"] = {"os": os_name, "architecture": arch}
            manifests.append(d)
        top = layout.blob(dump({"schemaVersion": 2, "mediaType": MT_INDEX,
                                "manifests": manifests}), MT_INDEX)
    top["annotations"] = ref
    layout.write_index([top])


def cmd_decompress(a):
    src = os.path.join(a.src, "blobs", "sha256")
    read = lambda digest: open(os.path.join(src, digest[7:]), "rb").read()
    index = json.load(open(os.path.join(a.src, "index.json")))
    desc = next(m for m in index["manifests"]
                if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == a.ref)
    manifest = json.loads(read(desc["digest"]))
    dst = Layout(a.dst)
    dst.blob(read(manifest["config"]["digest"]), manifest["config"]["mediaType"])
    layers = []
    for layer in manifest["layers"]:
        data = read(layer["digest"])
        if layer["mediaType"].endswith("+gzip"):
            data = gzip.decompress(data)
        layers.append(dst.blob(data, MT_LAYER))
    manifest["layers"] = layers
    top = dst.blob(dump(manifest), MT_MANIFEST)
    top["annotations"] = {"org.opencontainers.image.ref.name": a.ref}
    dst.write_index([top])


def cmd_docker_archive(a):
    with tarfile.open(a.out, "w") as out:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o444
            out.addfile(info, io.BytesIO(data))
        names, diff_ids = [], []
        for path in a.tars:
            raw = open(path, "rb").read()
            diff_ids.append(sha256(raw))
            names.append(diff_ids[-1][7:] + ".tar")
            add(names[-1], raw)
        cfg = dump(config_for(diff_ids))
        add(sha256(cfg)[7:] + ".json", cfg)
        if a.layer_path:
            names[0] = a.layer_path
        add("manifest.json", dump([{"Config": sha256(cfg)[7:] + ".json",
                                     "RepoTags": [a.repo_tag], "Layers": names}]))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tar")
    t.add_argument("out")
    t.add_argument("entries", nargs="+")
    lo = sub.add_parser("layout")
    lo.add_argument("dir")
    lo.add_argument("tars", nargs="+")
    lo.add_argument("--ref", default="latest")
    lo.add_argument("--compress", choices=["gzip", "none"], default="gzip")
    lo.add_argument("--media-type")
    lo.add_argument("--corrupt-gzip", action="store_true")
    lo.add_argument("--platform", action="append")
    lo.add_argument("--pad-manifest", type=int, default=0)
    de = sub.add_parser("decompress")
    de.add_argument("src")
    de.add_argument("ref")
    de.add_argument("dst")
    da = sub.add_parser("docker-archive")
    da.add_argument("out")
    da.add_argument("tars", nargs="+")
    da.add_argument("--layer-path")
    da.add_argument("--repo-tag", default="localhost/hostile:latest")
    a = p.parse_args()
    if a.cmd == "tar":
        make_tar(a.out, a.entries)
    elif a.cmd == "layout":
        cmd_layout(a)
    elif a.cmd == "decompress":
        cmd_decompress(a)
    else:
        cmd_docker_archive(a)


if __name__ == "__main__":
    sys.exit(main())
