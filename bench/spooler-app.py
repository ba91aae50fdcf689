# uWSGI side of bench/spooler.bench.mjs. GET /enqueue?n=N&round=R spools N tasks through
# uwsgi.spool() and answers with the wall-clock start (epoch ms), the time the loop took and the
# CPU this process spent in it. The spooler callable only acknowledges (SPOOL_OK) and prints
# "BENCH_DONE R <epoch ms>" when it has run the N-th task of round R.
import json
import sys
import time
import uwsgi
from urllib.parse import parse_qs

done = {}


def field(task, key):
    value = task.get(key.encode(), task.get(key))
    return value.decode() if isinstance(value, bytes) else value


def spooler(task):
    round_ = field(task, "round")
    done[round_] = done.get(round_, 0) + 1
    if done[round_] == int(field(task, "n")):
        print("BENCH_DONE %s %d" % (round_, int(time.time() * 1000)), flush=True)
    return uwsgi.SPOOL_OK


uwsgi.spooler = spooler


def application(env, start_response):
    if env["PATH_INFO"] == "/enqueue":
        q = parse_qs(env.get("QUERY_STRING", ""))
        n = q.get("n", ["1"])[0].encode()
        round_ = q.get("round", ["0"])[0].encode()
        start = int(time.time() * 1000)
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        for i in range(int(n)):
            uwsgi.spool({b"job": b"bench", b"i": str(i).encode(), b"n": n, b"round": round_})
        ms = (time.perf_counter() - t0) * 1000
        cpu = (time.process_time() - cpu0) * 1000
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"start": start, "ms": ms, "cpuMs": cpu}).encode()]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
