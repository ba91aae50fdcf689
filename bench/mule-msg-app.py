# uWSGI app for bench/mule-msg.bench.mjs: the same as mule-msg-app.mjs through uWSGI's Python
# API (the mule's message loop calls uwsgi.mule_msg_hook; mule_msg returns False while the mule's
# socket is full, and the sender retries).
import os
import time
from urllib.parse import parse_qs

import uwsgi

N = int(os.environ.get("BENCH_N", "0"))
count = 0


def hook(msg):
    global count
    count += 1
    if count == N:
        print("BENCH_DONE %d %d" % (count, int(time.time() * 1000)), flush=True)
        count = 0


uwsgi.mule_msg_hook = hook


def application(environ, start_response):
    q = parse_qs(environ.get("QUERY_STRING", ""))
    n = int(q["n"][0])
    payload = b"x" * int(q["size"][0])
    t0 = int(time.time() * 1000)
    sent = 0
    while sent < n:
        if uwsgi.mule_msg(payload, 1):
            sent += 1
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(t0).encode()]
