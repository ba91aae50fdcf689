# The uWSGI side of bench/cache-shared.bench.mjs: the same loops as shared-api-app.mjs, calling
# uWSGI's Python API inside its worker with str keys (as Python apps do).
#   GET /?op=get&ms=N&keys=K  ->  {"ops": <calls done in N ms>, "cpu": <CPU seconds used>, "pid": <worker pid>}
import json
import os
import time
import uwsgi
from urllib.parse import parse_qs

VALUE = b"a" * 64


def key_sets(n):
    keys = ["key-%010d" % i for i in range(n)]
    return keys, ["ctr-%010d" % i for i in range(n)], ["new-%010d" % i for i in range(n)]


# Each op's loop is compiled with its call inline (no per-call lambda), so uWSGI is measured at
# its best: the call and the loop, nothing else.
BODIES = {
    "get": ("get(keys[i])", 1),
    "exists": ("exists(keys[i])", 1),
    "update": ("update(keys[i], VALUE)", 1),
    "set_del": ("cset(fresh[i], VALUE); cdel(fresh[i])", 2),
    "inc": ("inc(counters[i])", 1),
    "dec": ("dec(counters[i])", 1),
    "mul": ("mul(counters[i])", 1),
    "div": ("div(counters[i])", 1),
    "num": ("num(counters[i])", 1),
    "keys": ("uwsgi.cache_keys()", 1),
    "metric_get": ('mget("bench")', 1),
    "metric_set": ('mset("bench", i)', 1),
    "metric_inc": ('minc("bench")', 1),
    "metric_dec": ('mdec("bench")', 1),
    "metric_mul": ('mmul("bench", 1)', 1),
    "metric_div": ('mdiv("bench", 1)', 1),
    "lock_unlock": ("lock(); unlock()", 2),
}
TEMPLATE = """
def loop(keys, counters, fresh, n, deadline):
    get, exists, update, cset, cdel = uwsgi.cache_get, uwsgi.cache_exists, uwsgi.cache_update, uwsgi.cache_set, uwsgi.cache_del
    inc, dec, mul, div, num = uwsgi.cache_inc, uwsgi.cache_dec, uwsgi.cache_mul, uwsgi.cache_div, uwsgi.cache_num
    mget, mset, minc, mdec, mmul, mdiv = uwsgi.metric_get, uwsgi.metric_set, uwsgi.metric_inc, uwsgi.metric_dec, uwsgi.metric_mul, uwsgi.metric_div
    lock, unlock = uwsgi.lock, uwsgi.unlock
    monotonic = time.monotonic
    ops = 0
    i = 0
    while monotonic() < deadline:
        for _ in range(1000):
            %s
            i += 1
            if i == n:
                i = 0
        ops += %d
    return ops
"""
LOOPS = {}


def make_loop(op):
    if op not in LOOPS:
        body, per = BODIES[op]
        scope = {"uwsgi": uwsgi, "time": time, "VALUE": VALUE}
        exec(TEMPLATE % (body, 1000 * per), scope)
        LOOPS[op] = scope["loop"]
    return LOOPS[op]


def application(environ, start_response):
    q = parse_qs(environ.get("QUERY_STRING", ""))
    op = q.get("op", ["get"])[0]
    ms = int(q.get("ms", ["1000"])[0])
    n = int(q.get("keys", ["1000"])[0])
    keys, counters, fresh = key_sets(n)
    if op == "setup":
        uwsgi.cache_clear()
        for k in keys:
            uwsgi.cache_update(k, VALUE)
        body = b"ok"
    else:
        cpu0 = time.process_time()  # CPU seconds of this process, all threads (as process.cpuUsage())
        try:
            ops = make_loop(op)(keys, counters, fresh, n, time.monotonic() + ms / 1000.0)
        except AttributeError:  # a function this uWSGI's Python API lacks
            ops = 0
        body = json.dumps({"ops": ops, "cpu": time.process_time() - cpu0, "pid": os.getpid()}).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
