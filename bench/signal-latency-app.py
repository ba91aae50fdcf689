# uWSGI app for bench/signal-latency.bench.mjs: the same as signal-latency-app.mjs through
# uWSGI's Python API (signal 17 registered in the master for mule 1; its n-th run prints
# SIGLAT <n> <unix µs>; GET /?n=N raises 17 N times, one every 2 ms, and prints RAISE <n> <unix µs>).
import time
from urllib.parse import parse_qs

import uwsgi


def micros():
    return int(time.time() * 1_000_000)


handled = 0
raises = 0


def handler(num):
    global handled
    handled += 1
    print("SIGLAT %d %d" % (handled, micros()), flush=True)


uwsgi.register_signal(17, "mule1", handler)


def application(environ, start_response):
    global raises
    n = int(parse_qs(environ.get("QUERY_STRING", ""))["n"][0])
    raised = []
    for _ in range(n):
        t = micros()
        uwsgi.signal(17)
        raises += 1
        raised.append((raises, t))
        time.sleep(0.002)
    print("".join("RAISE %d %d\n" % r for r in raised), end="", flush=True)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
