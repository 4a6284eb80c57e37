"""redis-py's everyday API against kvndb's RESP door, driven by test/real-clients.test.ts.

Usage: python3 redis-py-client.py PORT PASSWORD PREFIX COUNT
Prints one JSON object with what each step saw; the test asserts on it.
"""
import json
import sys
import time

import redis

port, password, prefix, count = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
out = {"version": redis.__version__}
r = redis.Redis(host="127.0.0.1", port=port, password=password)

out["ping"] = r.ping()
out["set"] = r.set("py:greeting", "hello")
out["get"] = r.get("py:greeting").decode()
out["missing"] = r.get("py:missing")

pipe = r.pipeline(transaction=False)
for i in range(200):
    pipe.set(f"py:p{i}", f"v{i}")
for i in range(200):
    pipe.get(f"py:p{i}")
results = pipe.execute()
out["pipeline_sets_ok"] = all(x is True for x in results[:200])
out["pipeline_gets_ok"] = [x.decode() for x in results[200:]] == [f"v{i}" for i in range(200)]

seen = [k.decode() for k in r.scan_iter(match=f"{prefix}*")]
out["scan_total"] = len(seen)
out["scan_unique"] = len(set(seen))
out["scan_expected"] = set(seen) == {f"{prefix}{i}" for i in range(count)}
seen_counted = [k.decode() for k in r.scan_iter(match=f"{prefix}*", count=250)]
out["scan_count250_ok"] = sorted(seen_counted) == sorted(seen)

every_byte = bytes(range(256))
r.set("py:binary", every_byte)
out["binary_ok"] = r.get("py:binary") == every_byte

before = r.dbsize()
try:
    r.set(b"\xff\x00", "x")
    out["binary_key_error"] = None
except redis.ResponseError as e:
    out["binary_key_error"] = str(e)
out["binary_key_nothing_applied"] = r.dbsize() == before

out["client_setname"] = r.client_setname("py-client")
out["client_getname"] = r.client_getname()
out["client_id"] = r.client_id()
out["client_info_name"] = r.client_info()["name"]
out["time_len"] = len(r.time())
info = r.info()
out["info_connected_clients"] = info["connected_clients"]
out["info_role"] = info["role"]
out["info_keyspace"] = r.info("keyspace")

out["set_ex"] = r.set("py:session", "token", ex=60)
out["ttl"] = r.ttl("py:session")
r.set("py:flash", "x", px=150)
out["incr"] = [r.incr("py:hits"), r.incrby("py:hits", 9)]
out["expire"] = r.expire("py:hits", 30)
out["pttl"] = r.pttl("py:hits")
time.sleep(0.3)
out["flash_after"] = r.get("py:flash")

r.close()
print(json.dumps(out))
