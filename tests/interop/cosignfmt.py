#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""An independent implementation of cosign's key and signature formats, for
interop tests with hallmark.  Written from the format descriptions
(go-securesystemslib "encrypted", cosign sign-blob, DSSE), not from hallmark.

  genkey [--type ecdsa|ed25519|rsa] PREFIX   writes PREFIX.key (encrypted with
                                             $COSIGN_PASSWORD) and PREFIX.pub
  pubkey KEY                                 prints the PEM public key
  sign-blob --key KEY FILE                   prints the base64 signature
  verify-blob --key PUB --signature B64 FILE exit 0 if valid, 1 if not
  dsse-sign --key KEY --type T FILE          prints a DSSE envelope
  dsse-verify --key PUB FILE                 prints the payload, exit 0/1
"""
import argparse
import base64
import hashlib
import json
import os
import sys

import nacl.secret
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

LABELS = ("ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY")
N, R, P = 32768, 8, 1


def pem_encode(label, der):
    b64 = base64.b64encode(der).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, "\n".join(lines), label)


def pem_decode(text):
    lines = text.strip().splitlines()
    label = lines[0][len("-----BEGIN "):-len("-----")]
    if lines[-1] != "-----END %s-----" % label:
        raise ValueError("truncated PEM")
    return label, base64.b64decode("".join(lines[1:-1]))


def scrypt(passphrase, salt, n, r, p):
    return hashlib.scrypt(passphrase, salt=salt, n=n, r=r, p=p, dklen=32, maxmem=256 << 20)


def passphrase():
    return os.environ.get("COSIGN_PASSWORD", "").encode()


def encrypt_private(key, password):
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    salt, nonce = os.urandom(32), os.urandom(24)
    box = nacl.secret.SecretBox(scrypt(password, salt, N, R, P))
    ct = box.encrypt(der, nonce).ciphertext
    b64 = lambda b: base64.b64encode(b).decode()
    body = {"kdf": {"name": "scrypt", "params": {"N": N, "r": R, "p": P}, "salt": b64(salt)},
            "cipher": {"name": "nacl/secretbox", "nonce": b64(nonce)},
            "ciphertext": b64(ct)}
    return pem_encode(LABELS[0], json.dumps(body, separators=(",", ":")).encode())


def load_private(path, password):
    label, body = pem_decode(open(path).read())
    if label == "PRIVATE KEY":
        return serialization.load_der_private_key(body, None)
    if label not in LABELS:
        raise ValueError("unsupported PEM type " + label)
    j = json.loads(body)
    if j["kdf"]["name"] != "scrypt" or j["cipher"]["name"] != "nacl/secretbox":
        raise ValueError("unsupported kdf or cipher")
    prm = j["kdf"]["params"]
    key = scrypt(password, base64.b64decode(j["kdf"]["salt"]), prm["N"], prm["r"], prm["p"])
    der = nacl.secret.SecretBox(key).decrypt(base64.b64decode(j["ciphertext"]),
                                             base64.b64decode(j["cipher"]["nonce"]))
    return serialization.load_der_private_key(der, None)


def load_public(path):
    return serialization.load_pem_public_key(open(path, "rb").read())


def public_pem(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def sign(key, data):
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return key.sign(data)


def verify(pub, sig, data):
    try:
        if isinstance(pub, ec.EllipticCurvePublicKey):
            pub.verify(sig, data, ec.ECDSA(hashes.SHA256()))
        elif isinstance(pub, rsa.RSAPublicKey):
            pub.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            pub.verify(sig, data)
        return True
    except InvalidSignature:
        return False


def pae(ptype, body):
    t = ptype.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)


def b64any(s):
    s = s.replace("-", "+").replace("_", "/")
    return base64.b64decode(s + "=" * (-len(s) % 4), validate=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("genkey")
    g.add_argument("--type", choices=("ecdsa", "ed25519", "rsa"), default="ecdsa")
    g.add_argument("prefix")
    sub.add_parser("pubkey").add_argument("key")
    s = sub.add_parser("sign-blob")
    s.add_argument("--key", required=True)
    s.add_argument("file")
    v = sub.add_parser("verify-blob")
    v.add_argument("--key", required=True)
    v.add_argument("--signature", required=True)
    v.add_argument("file")
    ds = sub.add_parser("dsse-sign")
    ds.add_argument("--key", required=True)
    ds.add_argument("--type", required=True)
    ds.add_argument("file")
    dv = sub.add_parser("dsse-verify")
    dv.add_argument("--key", required=True)
    dv.add_argument("file")
    a = ap.parse_args()

    if a.cmd == "genkey":
        key = {"ecdsa": lambda: ec.generate_private_key(ec.SECP256R1()),
               "ed25519": ed25519.Ed25519PrivateKey.generate,
               "rsa": lambda: rsa.generate_private_key(65537, 3072)}[a.type]()
        fd = os.open(a.prefix + ".key", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(encrypt_private(key, passphrase()))
        with open(a.prefix + ".pub", "w") as f:
            f.write(public_pem(key))
    elif a.cmd == "pubkey":
        sys.stdout.write(public_pem(load_private(a.key, passphrase())))
    elif a.cmd == "sign-blob":
        data = open(a.file, "rb").read()
        print(base64.b64encode(sign(load_private(a.key, passphrase()), data)).decode())
    elif a.cmd == "verify-blob":
        data = open(a.file, "rb").read()
        return 0 if verify(load_public(a.key), b64any(a.signature.strip()), data) else 1
    elif a.cmd == "dsse-sign":
        data = open(a.file, "rb").read()
        sig = sign(load_private(a.key, passphrase()), pae(a.type, data))
        env = {"payloadType": a.type, "payload": base64.b64encode(data).decode(),
               "signatures": [{"keyid": "", "sig": base64.b64encode(sig).decode()}]}
        print(json.dumps(env, separators=(",", ":")))
    elif a.cmd == "dsse-verify":
        env = json.load(open(a.file))
        body = b64any(env["payload"])
        pub = load_public(a.key)
        if not any(verify(pub, b64any(s["sig"]), pae(env["payloadType"], body))
                   for s in env["signatures"]):
            return 1
        sys.stdout.buffer.write(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
