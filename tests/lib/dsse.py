#!/usr/bin/python3
"""An independent DSSE + Ed25519 implementation (python3-cryptography), to check imprint's.

  dsse.py verify ENVELOPE PUBKEY.pem    exit 0 if a signature verifies, 1 if not
  dsse.py sign PAYLOAD TYPE PRIVKEY.pem print an envelope signing PAYLOAD's bytes
  dsse.py keyid PUBKEY.pem              sha256 of the DER SubjectPublicKeyInfo
"""
import base64
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization


def pae(payload_type: bytes, payload: bytes) -> bytes:
    return b"DSSEv1 %d %s %d %s" % (len(payload_type), payload_type, len(payload), payload)


def keyid(pub) -> str:
    der = pub.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def main() -> int:
    cmd = sys.argv[1]
    if cmd == "verify":
        env = json.load(open(sys.argv[2]))
        pub = serialization.load_pem_public_key(open(sys.argv[3], "rb").read())
        msg = pae(env["payloadType"].encode(), base64.b64decode(env["payload"], validate=True))
        for sig in env["signatures"]:
            try:
                pub.verify(base64.b64decode(sig["sig"]), msg)
            except InvalidSignature:
                continue
            print("verified keyid", sig.get("keyid"))
            return 0 if sig.get("keyid") in (None, "", keyid(pub)) else 1
        return 1
    if cmd == "sign":
        payload = open(sys.argv[2], "rb").read()
        ptype = sys.argv[3]
        key = serialization.load_pem_private_key(open(sys.argv[4], "rb").read(), None)
        sig = key.sign(pae(ptype.encode(), payload))
        print(json.dumps({"payloadType": ptype,
                          "payload": base64.b64encode(payload).decode(),
                          "signatures": [{"keyid": keyid(key.public_key()),
                                          "sig": base64.b64encode(sig).decode()}]}))
        return 0
    if cmd == "keyid":
        print(keyid(serialization.load_pem_public_key(open(sys.argv[2], "rb").read())))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
