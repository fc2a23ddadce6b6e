#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""An independent signer of Notary Project (notation) signatures, for tests.
Written from the Notary Project specifications (signature specification,
JWS and COSE envelopes, trust store layout), not from hallmark.

  pki DIR        makes test certificates (python3-cryptography) and a trust
                 store DIR/store/x509/{ca,signingAuthority,tsa}/...
  sign OPTIONS   prints an envelope (JWS JSON or COSE_Sign1 bytes)

The RFC 3161 countersignature comes from `openssl ts -reply` with the test
TSA.  Forgeries are made with --tamper and the odd-certificate options.
"""
import argparse
import warnings
import base64
import datetime
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

warnings.simplefilter("ignore")
NOW = datetime.datetime.utcnow().replace(microsecond=0)
DAY = datetime.timedelta(days=1)


def name(cn, o="acme"):
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                      x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "WA"),
                      x509.NameAttribute(NameOID.LOCALITY_NAME, "Seattle"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, o),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def cert(subject, key, issuer, issuer_key, ca, start=None, end=None, hash_alg=None, eku=None, ku_critical=True):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(start or NOW - DAY).not_valid_after(end or NOW + 365 * DAY))
    if ca:
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
    else:
        b = b.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=False)
        b = b.add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                            critical=ku_critical)
        b = b.add_extension(x509.ExtendedKeyUsage([eku or ExtendedKeyUsageOID.CODE_SIGNING]),
                            critical=eku == ExtendedKeyUsageOID.TIME_STAMPING)
    return b.sign(issuer_key, hash_alg or hashes.SHA256())


def save(d, stem, key, crt):
    with open(os.path.join(d, stem + ".key"), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(os.path.join(d, stem + ".crt"), "wb") as f:
        f.write(crt.public_bytes(serialization.Encoding.PEM))


def put(d, rel, crt):
    os.makedirs(os.path.join(d, os.path.dirname(rel)), exist_ok=True)
    with open(os.path.join(d, rel), "wb") as f:
        f.write(crt.public_bytes(serialization.Encoding.PEM))


def cmd_pki(a):
    d = a.dir
    os.makedirs(d, exist_ok=True)
    rsa_key = lambda bits=3072: rsa.generate_private_key(65537, bits)
    root_k = rsa_key()
    root = cert(name("Test Root"), root_k, name("Test Root"), root_k, True, NOW - 10 * DAY, NOW + 3650 * DAY)
    inter_k = rsa_key()
    inter = cert(name("Test Intermediate"), inter_k, root.subject, root_k, True, NOW - 10 * DAY, NOW + 3650 * DAY)
    save(d, "root", root_k, root)
    save(d, "inter", inter_k, inter)
    leaves = {
        "leaf": (rsa_key(3072), {}),
        "leaf-ec": (ec.generate_private_key(ec.SECP256R1()), {}),
        "leaf-ec384": (ec.generate_private_key(ec.SECP384R1()), {}),
        "leaf-rsa2048": (rsa_key(2048), {}),
        "leaf-rsa1024": (rsa_key(1024), {}),
        "leaf-sha1": (rsa_key(3072), {"hash_alg": hashes.SHA1()}),
        "leaf-expired": (rsa_key(3072), {"start": NOW - 20 * DAY, "end": NOW - 5 * DAY}),
        "leaf-noncritku": (rsa_key(3072), {"ku_critical": False}),
    }
    for stem, (k, kw) in leaves.items():
        cn = "Signer" if stem != "leaf-ec" else "EC Signer"
        save(d, stem, k, cert(name(cn), k, inter.subject, inter_k, False, **kw))
    other_k = rsa_key()
    other = cert(name("Other Root", "evil"), other_k, name("Other Root", "evil"), other_k, True)
    other_leaf_k = rsa_key()
    save(d, "other-root", other_k, other)
    save(d, "other-leaf", other_leaf_k, cert(name("Signer"), other_leaf_k, other.subject, other_k, False))
    tsa_root_k = rsa_key()
    tsa_root = cert(name("TSA Root"), tsa_root_k, name("TSA Root"), tsa_root_k, True, NOW - 3650 * DAY,
                    NOW + 3650 * DAY)
    tsa_k = rsa_key()
    save(d, "tsa-root", tsa_root_k, tsa_root)
    save(d, "tsa", tsa_k, cert(name("Test TSA"), tsa_k, tsa_root.subject, tsa_root_k, False, NOW - 3650 * DAY,
                               NOW + 3650 * DAY, eku=ExtendedKeyUsageOID.TIME_STAMPING))
    s = os.path.join(d, "store")
    put(s, "x509/ca/test/root.crt", root)
    put(s, "x509/ca/other/other-root.crt", other)
    put(s, "x509/signingAuthority/test/root.crt", root)
    put(s, "x509/tsa/test/tsa-root.crt", tsa_root)
    with open(os.path.join(d, "ts.cnf"), "w") as f:
        f.write("[ tsa ]\ndefault_tsa = tsa_config\n[ tsa_config ]\n"
                "serial = %s/tsaserial\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\n"
                "digests = sha256, sha384, sha512\naccuracy = secs:1\ness_cert_id_alg = sha256\n"
                "ess_cert_id_chain = no\n" % d)
    with open(os.path.join(d, "tsaserial"), "w") as f:
        f.write("01\n")


def load_key(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def load_der(path):
    with open(path, "rb") as f:
        return x509.load_pem_x509_certificate(f.read()).public_bytes(serialization.Encoding.DER)


ALGS = {"PS256": (hashes.SHA256, -37), "PS384": (hashes.SHA384, -38), "PS512": (hashes.SHA512, -39),
        "ES256": (hashes.SHA256, -7), "ES384": (hashes.SHA384, -35), "ES512": (hashes.SHA512, -36)}


def default_alg(key):
    if isinstance(key, rsa.RSAPrivateKey):
        return {2048: "PS256", 3072: "PS384", 4096: "PS512"}.get(key.key_size, "PS256")
    return {256: "ES256", 384: "ES384", 521: "ES512"}[key.curve.key_size]


def sign_bytes(key, alg, data):
    h = ALGS[alg][0]()
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PSS(padding.MGF1(h), h.digest_size), h)
    r, s = utils.decode_dss_signature(key.sign(data, ec.ECDSA(h)))
    n = (key.curve.key_size + 7) // 8
    return r.to_bytes(n, "big") + s.to_bytes(n, "big")


def timestamp(pki, sig):
    with tempfile.TemporaryDirectory() as t:
        data, q, tok = (os.path.join(t, x) for x in ("sig", "q.tsq", "tok.der"))
        with open(data, "wb") as f:
            f.write(sig)
        subprocess.run(["openssl", "ts", "-query", "-data", data, "-sha256", "-cert", "-out", q], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["openssl", "ts", "-reply", "-config", os.path.join(pki, "ts.cnf"), "-queryfile", q,
                        "-signer", os.path.join(pki, "tsa.crt"), "-inkey", os.path.join(pki, "tsa.key"),
                        "-token_out", "-out", tok], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        with open(tok, "rb") as f:
            return f.read()


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


# Minimal CBOR encoding (RFC 8949) of what a COSE_Sign1 needs.
def cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < (1 << (8 * struct.calcsize(fmt))):
            return bytes([major << 5 | ai]) + struct.pack(fmt, n)


def cbor(v):
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
    if isinstance(v, int):
        return cbor_head(0, v) if v >= 0 else cbor_head(1, -1 - v)
    if isinstance(v, bytes):
        return cbor_head(2, len(v)) + v
    if isinstance(v, str):
        return cbor_head(3, len(v.encode())) + v.encode()
    if isinstance(v, list):
        return cbor_head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):
        return cbor_head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    if isinstance(v, tuple):  # (tag, value)
        return cbor_head(6, v[0]) + cbor(v[1])
    raise TypeError(v)


def rfc3339(t):
    return datetime.datetime.utcfromtimestamp(t).strftime("%Y-%m-%dT%H:%M:%SZ")


def cmd_sign(a):
    key = load_key(a.key)
    chain = [load_der(c) for c in a.chain.split(",")]
    alg = a.alg or default_alg(key)
    target = {"mediaType": a.media_type, "digest": a.digest, "size": a.size}
    if a.annotation:
        target["annotations"] = dict(kv.split("=", 1) for kv in a.annotation)
    payload = json.dumps({"targetArtifact": target}, separators=(",", ":")).encode()
    now = int(NOW.replace(tzinfo=datetime.timezone.utc).timestamp())
    sa = a.scheme == "notary.x509.signingAuthority"
    crit = ["io.cncf.notary.signingScheme"]
    hdr = {"io.cncf.notary.signingScheme": a.scheme}
    times = {}
    times["io.cncf.notary.authenticSigningTime" if sa else "io.cncf.notary.signingTime"] = \
        a.authentic_time if sa and a.authentic_time is not None else now
    if sa:
        crit.append("io.cncf.notary.authenticSigningTime")
    if a.expiry is not None:
        times["io.cncf.notary.expiry"] = a.expiry
        crit.append("io.cncf.notary.expiry")
    for extra in a.crit or []:
        hdr[extra] = "x"
        crit.append(extra)
    if a.plugin:
        hdr["io.cncf.notary.verificationPlugin"] = a.plugin
        crit.append("io.cncf.notary.verificationPlugin")
    if a.format == "jws":
        prot = {"alg": alg, "cty": "application/vnd.cncf.notary.payload.v1+json", "crit": crit}
        prot.update(hdr)
        prot.update({k: rfc3339(v) for k, v in times.items()})
        p64, pl64 = b64url(json.dumps(prot).encode()), b64url(payload)
        sig = sign_bytes(key, alg, (p64 + "." + pl64).encode())
        if a.tamper == "payload":
            target["digest"] = target["digest"][:-4] + "0000"
            pl64 = b64url(json.dumps({"targetArtifact": target}).encode())
        if a.tamper == "signature":
            sig = bytes([sig[0] ^ 1]) + sig[1:]
        header = {"x5c": [base64.b64encode(c).decode() for c in chain], "io.cncf.notary.signingAgent": "notationfmt/1"}
        if a.tsa:
            header["io.cncf.notary.timestampSignature"] = base64.b64encode(timestamp(a.tsa, sig)).decode()
        out = json.dumps({"payload": pl64, "protected": p64, "header": header, "signature": b64url(sig)}).encode()
    else:
        prot = {1: ALGS[alg][1], 2: crit, 3: "application/vnd.cncf.notary.payload.v1+json"}
        prot.update(hdr)
        prot.update({k: (1, v) for k, v in times.items()})
        pbytes = cbor(prot)
        sig = sign_bytes(key, alg, cbor(["Signature1", pbytes, b"", payload]))
        if a.tamper == "payload":
            payload = payload.replace(b'"size":', b'"size":1')
        if a.tamper == "signature":
            sig = bytes([sig[0] ^ 1]) + sig[1:]
        unprot = {33: chain if len(chain) > 1 else chain[0], "io.cncf.notary.signingAgent": "notationfmt/1"}
        if a.tsa:
            unprot["io.cncf.notary.timestampSignature"] = timestamp(a.tsa, sig)
        out = cbor((18, [pbytes, unprot, payload, sig]))
    sys.stdout.buffer.write(out)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    k = sub.add_parser("pki")
    k.add_argument("dir")
    s = sub.add_parser("sign")
    s.add_argument("--format", choices=("jws", "cose"), required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--chain", required=True, help="PEM files, leaf first, comma-separated")
    s.add_argument("--digest", required=True)
    s.add_argument("--size", type=int, required=True)
    s.add_argument("--media-type", default="application/vnd.oci.image.manifest.v1+json")
    s.add_argument("--annotation", action="append")
    s.add_argument("--alg")
    s.add_argument("--scheme", default="notary.x509")
    s.add_argument("--authentic-time", type=int)
    s.add_argument("--expiry", type=int)
    s.add_argument("--crit", action="append", help="add an extra critical protected header")
    s.add_argument("--plugin")
    s.add_argument("--tsa", help="PKI directory: add an RFC 3161 countersignature from its TSA")
    s.add_argument("--tamper", choices=("payload", "signature"))
    a = p.parse_args()
    cmd_pki(a) if a.cmd == "pki" else cmd_sign(a)


if __name__ == "__main__":
    main()
