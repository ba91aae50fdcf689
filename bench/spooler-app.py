# uWSGI side of bench/spooler.bench.mjs: GET /enqueue?n=N spools N tasks through uwsgi.spool();
# the spooler callable does nothing but acknowledge (SPOOL_OK).
import json
import time
import uwsgi
from urllib.parse import parse_qs


def spooler(task):
    return uwsgi.SPOOL_OK


uwsgi.spooler = spooler


def application(env, start_response):
    if env["PATH_INFO"] == "/enqueue":
        n = int(parse_qs(env.get("QUERY_STRING", "")).get("n", ["1"])[0])
        t0 = time.perf_counter()
        for i in range(n):
            uwsgi.spool({b"job": b"bench", b"i": str(i).encode()})
        ms = (time.perf_counter() - t0) * 1000
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"ms": ms}).encode()]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
