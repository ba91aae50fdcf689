# uWSGI app for bench/signal-latency.bench.mjs: the same as signal-latency-app.mjs through
# uWSGI's Python API (signal 17 registered in the master for mule 1; its handler prints
# SIGLAT <unix µs>; GET /?n=N raises 17 N times, one every 2 ms, and prints RAISE <unix µs> each).
import time
from urllib.parse import parse_qs

import uwsgi


def micros():
    return int(time.time() * 1_000_000)


def handler(num):
    print("SIGLAT %d" % micros(), flush=True)


uwsgi.register_signal(17, "mule1", handler)


def application(environ, start_response):
    n = int(parse_qs(environ.get("QUERY_STRING", ""))["n"][0])
    raised = []
    for _ in range(n):
        t = micros()
        uwsgi.signal(17)
        raised.append(t)
        time.sleep(0.002)
    print("".join("RAISE %d\n" % t for t in raised), end="", flush=True)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
