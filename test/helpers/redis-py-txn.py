"""redis-py transactions against kvndb's RESP door, driven by test/transactions.test.ts.

Usage: python3 redis-py-txn.py PORT KEY INCREMENTS
A pipeline (transaction=True, redis-py's default) that fails on its second command must apply
nothing; then INCREMENTS optimistic increments of KEY through r.transaction() (WATCH/GET/
MULTI/SET/EXEC, retried on a watch error). Prints one JSON object.
"""
import json
import sys

import redis

port, key, increments = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
r = redis.Redis(host="127.0.0.1", port=port)
out = {}

pipe = r.pipeline()
pipe.set("py:tx:a", "1").incr("py:tx:a").get("py:tx:a")
out["pipeline"] = [x.decode() if isinstance(x, bytes) else x for x in pipe.execute()]

# An unknown command queued: EXEC is refused, nothing applies.
pipe = r.pipeline()
pipe.set("py:tx:none", "x")
pipe.execute_command("NOSUCHCOMMAND")
try:
    pipe.execute()
    out["aborted"] = None
except redis.ResponseError as e:
    out["aborted"] = str(e)
out["none_exists"] = r.exists("py:tx:none")

def bump(p):
    v = p.get(key)
    p.multi()
    p.set(key, int(v or 0) + 1)


for _ in range(increments):
    r.transaction(bump, key)
r.close()
print(json.dumps(out))
