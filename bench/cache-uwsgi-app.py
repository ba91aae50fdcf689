# uWSGI side of the cache benchmark: GET /?op=get|update|inc&ms=N&keys=K runs that cache
# operation in a loop inside the worker for N ms and answers the number of operations done.
import time
import uwsgi
from urllib.parse import parse_qs


def application(environ, start_response):
    q = parse_qs(environ.get("QUERY_STRING", ""))
    op = q.get("op", ["get"])[0]
    ms = int(q.get("ms", ["1000"])[0])
    nkeys = int(q.get("keys", ["1000"])[0])
    keys = ["key-%012d" % i for i in range(nkeys)]
    counters = ["ctr-%012d" % i for i in range(nkeys)]
    value = b"a" * 64
    if op == "setup":
        for k in keys:
            uwsgi.cache_update(k, value)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    deadline = time.monotonic() + ms / 1000.0
    ops = 0
    i = 0
    get, update, inc = uwsgi.cache_get, uwsgi.cache_update, uwsgi.cache_inc
    while time.monotonic() < deadline:
        for _ in range(1000):
            if op == "get":
                get(keys[i])
            elif op == "update":
                update(keys[i], value)
            else:
                inc(counters[i])
            i = (i + 1) % nkeys
        ops += 1000
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(ops).encode()]
