#!/usr/bin/env python3
"""Independent checks of an imprint fingerprint file (docs/formats.md), for the bats tests.

    fpcheck.py mtree FP.json SPEC   compare the entries with `mtree -C` output of the same rootfs
                                    (path set, type, mode, uid, gid, size, sha256, link target,
                                    device), after the file's own exclusions
    fpcheck.py digest FP.json       recompute rootDigest (and each layer tableDigest) from the
                                    entries with the canonical form of formats.md
    fpcheck.py order FP.json        entries sorted component by component, no duplicates, no
                                    root entry, paths absolute without . or .. components

Prints one line per problem and exits 1 if there is any.
"""
import hashlib
import json
import os
import sys

MTREE_TYPES = {"file": "file", "dir": "dir", "link": "symlink", "char": "char", "block": "block",
               "fifo": "fifo", "socket": "socket"}
C_ESCAPES = {"n": 10, "r": 13, "b": 8, "a": 7, "v": 11, "t": 9, "f": 12, "s": 32, "0": 0, "E": 27}


def unvis(s):
    """Undo NetBSD vis(3) encoding as mtree writes it: \\ooo, \\M-x, \\M^x, \\^x, C escapes."""
    out, i = bytearray(), 0
    b = s.encode("utf-8", "surrogateescape")
    while i < len(b):
        c = b[i]
        if c != 0x5C or i + 1 >= len(b):
            out.append(c)
            i += 1
            continue
        n = chr(b[i + 1])
        octal = b[i + 1:i + 4]
        if len(octal) == 3 and all(0x30 <= x <= 0x37 for x in octal):
            out.append(int(octal, 8) & 0xFF)
            i += 4
        elif n == "M" and len(b[i + 2:i + 4]) == 2 and chr(b[i + 2]) in "-^":
            x = b[i + 3]
            out.append((x | 0x80) if chr(b[i + 2]) == "-" else ((0x7F if x == 0x3F else x & 0x1F) | 0x80))
            i += 4
        elif n == "^":
            x = b[i + 2]
            out.append(0x7F if x == 0x3F else x & 0x1F)
            i += 3
        elif n in C_ESCAPES:
            out.append(C_ESCAPES[n])
            i += 2
        else:
            out.append(b[i + 1])
            i += 2
    return out.decode("utf-8", "surrogateescape")


def excluded(path, excludes):
    return any(path == e or path.startswith(e.rstrip("/") + "/") for e in excludes)


def mtree_table(spec, excludes):
    table = {}
    for line in open(spec, encoding="utf-8", errors="surrogateescape"):
        if not line.startswith("."):
            continue
        name, *kws = line.split()
        path = unvis(name)[1:]
        if path == "" or excluded(path, excludes):
            continue
        kv = dict(k.split("=", 1) for k in kws)
        e = {"type": MTREE_TYPES[kv["type"]], "mode": "%04o" % int(kv["mode"], 8),
             "uid": int(kv["uid"]), "gid": int(kv["gid"])}
        if e["type"] == "file":
            e["size"] = int(kv["size"])
            e["sha256"] = kv["sha256"]
        if e["type"] == "symlink":
            e["target"] = unvis(kv["link"])
        if e["type"] in ("char", "block"):
            dev = int(kv["device"], 0)
            e["major"], e["minor"] = os.major(dev), os.minor(dev)
        table[path] = e
    return table


def cmd_mtree(fp, spec):
    ours = {}
    for e in fp["entries"]:
        e = dict(e)
        e.pop("xattrs", None)
        ours[e.pop("path")] = e
    theirs = mtree_table(spec, fp.get("excludes", []))
    problems = []
    for p in sorted(set(ours) | set(theirs)):
        if p not in theirs:
            problems.append("only in imprint: %s %s" % (p, ours[p]))
        elif p not in ours:
            problems.append("only in mtree: %s %s" % (p, theirs[p]))
        elif ours[p] != theirs[p]:
            problems.append("differs: %s imprint=%s mtree=%s" % (p, ours[p], theirs[p]))
    return problems


def esc(s):
    out = []
    for c in s.encode("utf-8", "surrogateescape"):
        out.append(chr(c) if 0x21 <= c <= 0x7E and c != 0x25 else "%%%02X" % c)
    return "".join(out)


def canonical_line(e, layer=False):
    dash = lambda v: "-" if v is None else str(v)
    dev = "%d,%d" % (e["major"], e["minor"]) if "major" in e else "-"
    xattrs = ",".join("%s=%s" % (k, v) for k, v in sorted(e.get("xattrs", {}).items())) or "-"
    line = " ".join([esc(e["path"]), e["type"], e["mode"], str(e["uid"]), str(e["gid"]),
                     dash(e.get("size")), dash(e.get("sha256")),
                     esc(e["target"]) if "target" in e else "-", dev, xattrs])
    if layer and e.get("opaque"):
        line += " opaque"
    return line + "\n"


def table_digest(entries, layer=False):
    h = hashlib.sha256(b"imprint-content-v1\n")
    for e in entries:
        h.update(canonical_line(e, layer).encode("utf-8", "surrogateescape"))
    return "sha256:" + h.hexdigest()


def cmd_digest(fp):
    problems = []
    got = table_digest(fp["entries"])
    if got != fp["rootDigest"]:
        problems.append("rootDigest: file says %s, entries give %s" % (fp["rootDigest"], got))
    for i, layer in enumerate(fp.get("layers", [])):
        got = table_digest(layer["entries"], layer=True)
        if got != layer["tableDigest"]:
            problems.append("layer %d tableDigest: file says %s, entries give %s"
                            % (i, layer["tableDigest"], got))
    return problems


def cmd_order(fp):
    problems, prev = [], None
    for e in fp["entries"]:
        p = e["path"]
        parts = p.split("/")
        if not p.startswith("/") or p == "/" or any(x in ("", ".", "..") for x in parts[1:]):
            problems.append("bad path: %r" % p)
        key = [x.encode("utf-8", "surrogateescape") for x in parts[1:]]
        if prev is not None and not prev < key:
            problems.append("out of order or duplicate: %r after %r" % (p, prev))
        prev = key
    return problems


def main():
    verb, path = sys.argv[1], sys.argv[2]
    fp = json.load(open(path, encoding="utf-8", errors="surrogateescape"))
    if verb == "mtree":
        problems = cmd_mtree(fp, sys.argv[3])
    elif verb == "digest":
        problems = cmd_digest(fp)
    elif verb == "order":
        problems = cmd_order(fp)
    else:
        sys.exit("fpcheck: unknown verb " + verb)
    for p in problems[:50]:
        print(p)
    if len(problems) > 50:
        print("... and %d more" % (len(problems) - 50))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
