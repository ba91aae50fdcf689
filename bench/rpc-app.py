# uWSGI app for bench/rpc.bench.mjs: the same as rpc-app.mjs through uWSGI's Python API.
import json
import os
import time
from urllib.parse import parse_qs

import uwsgi


def echo(a):
    return a


uwsgi.register_rpc("echo", echo)


def application(environ, start_response):
    q = parse_qs(environ.get("QUERY_STRING", ""))
    addr = q.get("addr", [""])[0].encode()
    f = q.get("f", ["echo"])[0].encode()
    ms = int(q.get("ms", ["0"])[0])
    most = int(q.get("n", ["0"])[0]) or float("inf")
    until = time.time() + ms / 1000
    calls = bad = 0
    while time.time() < until and calls < most:
        r = uwsgi.rpc(addr, f, b"x")
        if r != b"x":
            bad += 1
        calls += 1
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"calls": calls, "bad": bad, "pid": os.getpid()}).encode()]
