#!/usr/bin/env python3
"""recorder.py: a loopback server that records every byte it is sent.

    recorder.py PORTFILE DIR CERT KEY [ANSWERS]

Listens on 127.0.0.1 (an ephemeral port, written to PORTFILE once listening).
Each connection is TLS (a ClientHello first byte, served with CERT/KEY) or
plain HTTP; what the client sends (decrypted) is appended to DIR/conn-N. Every
request is answered "403 AccessDenied" and the connection closed, so a client
never gets further than its first request. Used by creds-binding-test.sh to
show that credentials never reach a host a table definition names.

ANSWERS (optional) is a JSON list of [regex, answer]: the first regex found in
a request's first line picks the raw HTTP answer sent instead of the 403
(answers-test.sh serves hostile answers this way).
"""
import json
import os
import re
import socket
import ssl
import sys
import threading

BODY = b"<Error><Code>AccessDenied</Code><Message>recorder</Message></Error>"
ANSWER = (b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\n"
          b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(BODY)) + BODY


def pick(data, answers):
    """The answer for a request (its bytes so far): the first matching rule's, else 403."""
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    for rx, answer in answers:
        if re.search(rx, line):
            return answer.encode("latin-1")
    return ANSWER


def serve(conn, path, ctx, answers):
    """Record one connection (TLS or not) into path, answer, close."""
    try:
        conn.settimeout(5)
        first = conn.recv(1, socket.MSG_PEEK)
        if first == b"\x16":
            conn = ctx.wrap_socket(conn, server_side=True)
        data = b""
        with open(path, "ab") as f:
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
                f.write(chunk)
                f.flush()
            if data:
                conn.sendall(pick(data, answers))
    except (OSError, ssl.SSLError) as e:
        with open(path + ".err", "a") as f:
            f.write("%s\n" % e)
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main():
    portfile, outdir, cert, key = sys.argv[1:5]
    answers = []
    if len(sys.argv) > 5:
        with open(sys.argv[5]) as f:
            answers = json.load(f)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.rename(tmp, portfile)
    n = 0
    while True:
        conn, _ = srv.accept()
        n += 1
        path = os.path.join(outdir, "conn-%d" % n)
        open(path, "ab").close()
        threading.Thread(target=serve, args=(conn, path, ctx, answers), daemon=True).start()


if __name__ == "__main__":
    main()
