#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A lying, hostile registry for tests, on 127.0.0.1 only.

The behaviour is chosen by the first component of the repository name:

  mismatch/*   manifests and blobs whose bytes do not match the digest asked
               for; by tag, a Docker-Content-Digest that disagrees with the
               bytes; HEAD by digest answers for another digest
  big/*        a manifest larger than hallmark's 4 MiB cap (with
               Content-Length); bigchunked/* the same without one
  stall/*      sends headers and a few bytes, then stalls (at most --stall s)
  drip/*       sends headers, then the body one byte a second (never stalls
               long enough for a low-speed cut-off), for at most --stall s
  slow/*       every answer is whole in about 0.8 s, but there is always
               another: manifests redirect to the next hop forever, tag
               lists link to a next page forever (each request on its own
               is quick; only a deadline for the whole operation ends it)
  token/*      Bearer challenge; /token hands out a token for the basic
               credentials alice:secret; manifests/latest is a real
               manifest; blobs redirect to the second port, which records
               whether an Authorization header arrived (GET /seen)
  basic/*      Basic challenge, accepts alice:secret
  badblob/*    manifests/latest is a real manifest whose layer blob is served
               with other bytes of the same length; longblob/* serves it with
               more bytes than the descriptor says
  xrealm/*     like token/*, but the realm is the second port's /token (a
               realm on another host, as Docker Hub's auth.docker.io)
  hop/*        manifests and blobs redirect to the second port, which answers
               401 with a Bearer challenge naming its own /token as realm: a
               realm named by another registry than the one credentials
               belong to
  httprealm/*  a Bearer challenge whose realm is plain HTTP on a host that is
               neither loopback nor insecure
  errors/*     500 with a registry error body; denied/* 403 likewise
  pages/*      endless pagination: every tag list and referrers page links
               to a next one; the second component says what a page holds:
               pages/flood (1000 tags, 100 referrers), pages/empty (none),
               pages/fat (a few, padded to 2 MiB); manifests and blobs as
               token/* without the challenge
  fail/*       manifests/latest as token/* without the challenge, and one
               lookup of discovery failing with 500: fail/referrers the
               referrers API, fail/sig the tag sha256-<hex>.sig, fail/tag the
               referrers tag sha256-<hex> (the others answer 404)
  flaky/*      as fail/* with nothing failing, except that the first request
               of each path answers 500 (a registry caught mid-write)
  anything else: 404 with a registry error body

GET /ports -> {"main": P, "other": Q}; GET /seen -> what the second port saw
(redirect_hits/redirect_auth: requests and those with an Authorization
header; realm_hits/realm_auth: the same for its /token).
The port file gets "P\\nQ\\n".  The process exits by itself after
--lifetime seconds.
"""
import argparse
import base64
import hashlib
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

USER, PASSWORD, TOKEN = "alice", "secret", "good-token"
FLAKY_SEEN = set()
MANIFEST = json.dumps({
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.empty.v1+json",
               "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
               "size": 2},
    "layers": [],
}, separators=(",", ":")).encode()
BLOB = b"hello from the liar\n"
MT = "application/vnd.oci.image.manifest.v1+json"
EMPTY = b"{}"
LAYERED = json.dumps({
    "schemaVersion": 2,
    "mediaType": MT,
    "config": {"mediaType": "application/vnd.oci.empty.v1+json",
               "digest": "sha256:" + hashlib.sha256(EMPTY).hexdigest(), "size": len(EMPTY)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": "sha256:" + hashlib.sha256(BLOB).hexdigest(), "size": len(BLOB)}],
}, separators=(",", ":")).encode()

STATE = {"redirect_hits": 0, "redirect_auth": 0, "realm_hits": 0, "realm_auth": 0}
LOCK = threading.Lock()
ARGS = None
PORTS = {}


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


class Base(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go in two writes: without this every answer waits
    # for a delayed ACK, and a thousand pages take forty seconds
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # quiet
        pass

    def send(self, code, body=b"", ctype="application/json", headers=None, head=False):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def error(self, code, ecode, msg, headers=None, head=False):
        body = json.dumps({"errors": [{"code": ecode, "message": msg}]}).encode()
        self.send(code, body, headers=headers, head=head)

    def drain(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)


class Other(Base):
    """The second port: a blob store that the main port redirects to, a
    token realm on another host, and (under /v2/hop/) another registry."""

    def do_HEAD(self):
        self.do_GET(head=True)

    def do_GET(self, head=False):
        path = self.path.split("?", 1)[0]
        auth = self.headers.get("Authorization")
        if path == "/token":
            with LOCK:
                STATE["realm_hits"] += 1
                if auth:
                    STATE["realm_auth"] += 1
            want = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            if auth != want:
                return self.error(401, "UNAUTHORIZED", "bad credentials", head=head)
            return self.send(200, json.dumps({"token": TOKEN}).encode(), head=head)
        with LOCK:
            STATE["redirect_hits"] += 1
            if auth:
                STATE["redirect_auth"] += 1
        if path.startswith("/v2/hop/"):
            realm = f"http://127.0.0.1:{PORTS['other']}/token"
            return self.error(401, "UNAUTHORIZED", "authentication required",
                              {"WWW-Authenticate": f'Bearer realm="{realm}",service="other"'}, head=head)
        self.send(200, BLOB, "application/octet-stream", head=head)


class Liar(Base):
    def do_HEAD(self):
        self.route(head=True)

    def do_GET(self):
        self.route(head=False)

    def do_PUT(self):
        self.drain()
        self.route(head=False)

    def do_POST(self):
        self.drain()
        self.route(head=False)

    def basic_ok(self):
        want = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        return self.headers.get("Authorization") == want

    def route(self, head):
        path = self.path.split("?", 1)[0]
        if path == "/ports":
            return self.send(200, json.dumps(PORTS).encode(), head=head)
        if path == "/seen":
            with LOCK:
                return self.send(200, json.dumps(STATE).encode(), head=head)
        if path == "/token":
            if not self.basic_ok():
                return self.error(401, "UNAUTHORIZED", "bad credentials", head=head)
            if "scope=repository%3Atoken%2F" not in self.path:
                return self.error(400, "DENIED", "no scope asked for", head=head)
            return self.send(200, json.dumps({"access_token": TOKEN, "expires_in": 300}).encode(), head=head)
        if path in ("/v2", "/v2/"):
            return self.send(200, b"{}", head=head)
        m = re.match(r"^/v2/(.+)/(manifests|blobs|tags|referrers)/(.*)$", path)
        if not m:
            return self.error(404, "NOT_FOUND", "no such route", head=head)
        repo, kind, ref = m.groups()
        mode = repo.split("/", 1)[0]
        fn = getattr(self, "mode_" + mode, None)
        if not fn:
            return self.error(404, "NAME_UNKNOWN", f"repository {repo} not known", head=head)
        return fn(repo, kind, ref, head)

    def mode_mismatch(self, repo, kind, ref, head):
        lie = b'{"schemaVersion":2,"mediaType":"%s","lie":true}' % MT.encode()
        if kind == "blobs":
            return self.send(200, b"not the blob you asked for", "application/octet-stream", head=head)
        if ref.startswith("sha256:"):
            d = ref if not head else sha(b"something else")
            return self.send(200, lie, MT, {"Docker-Content-Digest": d}, head=head)
        return self.send(200, lie, MT, {"Docker-Content-Digest": sha(b"something else")}, head=head)

    def mode_big(self, repo, kind, ref, head):
        body = b"{" + b" " * (5 << 20) + b"}"
        return self.send(200, body, MT, {"Docker-Content-Digest": sha(body)}, head=head)

    def mode_bigchunked(self, repo, kind, ref, head):
        self.send_response(200)
        self.send_header("Content-Type", MT)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if head:
            return
        chunk = b" " * 65536
        try:
            for _ in range(96):  # 6 MiB
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass

    def mode_stall(self, repo, kind, ref, head):
        self.send_response(200)
        self.send_header("Content-Type", MT)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        if head:
            return
        try:
            self.wfile.write(b'{"schemaVersion"')
            self.wfile.flush()
            deadline = time.time() + ARGS.stall
            while time.time() < deadline:
                time.sleep(0.1)
        except OSError:
            pass
        self.close_connection = True

    def mode_drip(self, repo, kind, ref, head):
        self.send_response(200)
        self.send_header("Content-Type", MT)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        if head:
            return
        try:
            deadline = time.time() + ARGS.stall
            while time.time() < deadline:
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(1)
        except OSError:
            pass
        self.close_connection = True

    def slow_send(self, code, body, headers):
        """One whole answer, written in pieces over about 0.8 s."""
        raw = b"HTTP/1.1 %d X\r\n" % code
        for k, v in headers.items():
            raw += f"{k}: {v}\r\n".encode()
        raw += b"Content-Length: %d\r\n\r\n" % len(body) + body
        step = max(1, len(raw) // 8)
        try:
            for i in range(0, len(raw), step):
                self.wfile.write(raw[i:i + step])
                self.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass

    def mode_slow(self, repo, kind, ref, head):
        q = self.path.split("?", 1)[1] if "?" in self.path else ""
        n = int(re.search(r"hop=(\d+)", q).group(1)) if "hop=" in q else 0
        if kind == "tags":
            body = json.dumps({"name": repo, "tags": [f"t{n}"]}).encode()
            link = f'</v2/{repo}/tags/list?n=1&hop={n + 1}>; rel="next"'
            return self.slow_send(200, b"" if head else body,
                                  {"Content-Type": "application/json", "Link": link})
        loc = f"/v2/{repo}/{kind}/{ref}?hop={n + 1}"
        return self.slow_send(307, b"", {"Location": loc})

    def mode_token(self, repo, kind, ref, head):
        if self.headers.get("Authorization") != "Bearer " + TOKEN:
            realm = f"http://127.0.0.1:{PORTS['main']}/token"
            chal = f'Bearer realm="{realm}",service="liar",scope="repository:{repo}:pull"'
            return self.error(401, "UNAUTHORIZED", "authentication required",
                              {"WWW-Authenticate": chal}, head=head)
        return self.serve_good(repo, kind, ref, head)

    def mode_xrealm(self, repo, kind, ref, head):
        if self.headers.get("Authorization") != "Bearer " + TOKEN:
            realm = f"http://127.0.0.1:{PORTS['other']}/token"
            chal = f'Bearer realm="{realm}",service="liar"'
            return self.error(401, "UNAUTHORIZED", "authentication required",
                              {"WWW-Authenticate": chal}, head=head)
        return self.serve_good(repo, kind, ref, head)

    def mode_hop(self, repo, kind, ref, head):
        loc = f"http://127.0.0.1:{PORTS['other']}{self.path}"
        return self.send(307, b"", headers={"Location": loc}, head=head)

    def mode_httprealm(self, repo, kind, ref, head):
        chal = 'Bearer realm="http://hallmark-realm.invalid/token",service="liar"'
        return self.error(401, "UNAUTHORIZED", "authentication required",
                          {"WWW-Authenticate": chal}, head=head)

    def mode_basic(self, repo, kind, ref, head):
        if not self.basic_ok():
            return self.error(401, "UNAUTHORIZED", "authentication required",
                              {"WWW-Authenticate": 'Basic realm="liar"'}, head=head)
        return self.serve_good(repo, kind, ref, head)

    def serve_good(self, repo, kind, ref, head):
        if kind == "manifests" and ref in ("latest", sha(MANIFEST)):
            return self.send(200, MANIFEST, MT, {"Docker-Content-Digest": sha(MANIFEST)}, head=head)
        if kind == "blobs" and ref == sha(BLOB):
            loc = f"http://127.0.0.1:{PORTS['other']}/blobs/{ref}"
            return self.send(307, b"", headers={"Location": loc}, head=head)
        return self.error(404, "MANIFEST_UNKNOWN", "unknown", head=head)

    def mode_pages(self, repo, kind, ref, head):
        if kind not in ("tags", "referrers"):
            return self.serve_good(repo, kind, ref, head)
        what = repo.split("/")[1] if "/" in repo else "empty"
        q = self.path.split("?", 1)[1] if "?" in self.path else ""
        page = int(dict(p.split("=", 1) for p in q.split("&") if "=" in p).get("page", "0"))
        n = {"flood": 1000 if kind == "tags" else 100, "fat": 3}.get(what, 0)
        pad = " " * (2 << 20) if what == "fat" else ""
        if kind == "tags":
            body = {"name": repo, "tags": [f"p{page}-{i}" for i in range(n)]}
        else:
            body = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                    "manifests": [{"mediaType": MT, "size": 1,
                                   "digest": sha(f"{page}-{i}".encode())} for i in range(n)]}
        data = json.dumps(body).encode()
        data = data[:-1] + b',"pad":"' + pad.encode() + b'"}'
        nxt = f"/v2/{repo}/{kind}/{ref}?page={page + 1}"
        ctype = "application/json" if kind == "tags" else "application/vnd.oci.image.index.v1+json"
        return self.send(200, data, ctype, {"Link": f'<{nxt}>; rel="next"'}, head=head)

    def lying_blob(self, kind, ref, head, wrong):
        if kind == "manifests" and ref in ("latest", sha(LAYERED)):
            return self.send(200, LAYERED, MT, {"Docker-Content-Digest": sha(LAYERED)}, head=head)
        if kind == "blobs" and ref == sha(EMPTY):
            return self.send(200, EMPTY, "application/octet-stream", head=head)
        if kind == "blobs" and ref == sha(BLOB):
            return self.send(200, wrong, "application/octet-stream", head=head)
        return self.error(404, "BLOB_UNKNOWN", "unknown", head=head)

    def mode_badblob(self, repo, kind, ref, head):
        return self.lying_blob(kind, ref, head, b"X" * len(BLOB))

    def mode_longblob(self, repo, kind, ref, head):
        return self.lying_blob(kind, ref, head, BLOB + b"and then some more bytes\n" * 100)

    def mode_fail(self, repo, kind, ref, head):
        what = repo.split("/")[1] if "/" in repo else ""
        d = "sha256-" + sha(MANIFEST).split(":", 1)[1]
        if ((what == "referrers" and kind == "referrers") or (what == "sig" and ref == d + ".sig") or
                (what == "tag" and ref == d)):
            return self.error(500, "INTERNAL", f"the {what} lookup is having a bad day", head=head)
        return self.serve_good(repo, kind, ref, head)

    def mode_flaky(self, repo, kind, ref, head):
        with LOCK:
            first = self.path not in FLAKY_SEEN
            FLAKY_SEEN.add(self.path)
        if first:
            return self.error(500, "UNKNOWN", "unknown error", head=head)
        return self.serve_good(repo, kind, ref, head)

    def mode_errors(self, repo, kind, ref, head):
        return self.error(500, "INTERNAL", "the liar is having a bad day", head=head)

    def mode_denied(self, repo, kind, ref, head):
        return self.error(403, "DENIED", "requested access to the resource is denied", head=head)


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--lifetime", type=float, default=1800)
    p.add_argument("--stall", type=float, default=15)
    ARGS = p.parse_args()
    main_srv = ThreadingHTTPServer(("127.0.0.1", 0), Liar)
    other_srv = ThreadingHTTPServer(("127.0.0.1", 0), Other)
    for s in (main_srv, other_srv):
        s.daemon_threads = True
    PORTS["main"] = main_srv.server_address[1]
    PORTS["other"] = other_srv.server_address[1]
    threading.Thread(target=other_srv.serve_forever, daemon=True).start()
    threading.Thread(target=main_srv.serve_forever, daemon=True).start()
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{PORTS['main']}\n{PORTS['other']}\n")
    os.rename(tmp, ARGS.port_file)
    time.sleep(ARGS.lifetime)
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
