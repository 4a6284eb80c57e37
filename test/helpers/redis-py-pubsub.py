"""redis-py's pub/sub against kvndb's RESP door, driven by test/pubsub.test.ts.

Usage: python3 redis-py-pubsub.py PORT
Prints one JSON object with what each step saw; the test asserts on it.
"""
import json
import sys
import time

import redis

port = int(sys.argv[1])
out = {}
r = redis.Redis(host="127.0.0.1", port=port)
p = r.pubsub()
p.subscribe("py:news")
p.psubscribe("py:*")
confirmations = []
deadline = time.time() + 5
while len(confirmations) < 2 and time.time() < deadline:
    m = p.get_message(timeout=1.0)
    if m is not None:
        confirmations.append([m["type"], m["channel"].decode(), m["data"]])
out["confirmations"] = confirmations
out["numsub"] = [[c.decode(), n] for c, n in r.pubsub_numsub("py:news", "py:none")]
out["numpat"] = r.pubsub_numpat()
out["channels"] = sorted(c.decode() for c in r.pubsub_channels("py:*"))
out["receivers"] = r.publish("py:news", b"hello \x00\xff")
messages = []
deadline = time.time() + 5
while len(messages) < 2 and time.time() < deadline:
    m = p.get_message(timeout=1.0)
    if m is not None:
        messages.append([m["type"], (m["pattern"] or b"").decode(), m["channel"].decode(), list(m["data"])])
out["messages"] = messages
# In subscribed mode (RESP2) redis-py's ping on the pubsub connection gets ["pong", ""].
p.ping()
m = p.get_message(timeout=2.0)
out["ping"] = [m["type"], m["data"].decode() if isinstance(m["data"], bytes) else m["data"]] if m else None
p.unsubscribe()
p.punsubscribe()
out["after_unsubscribe"] = r.publish("py:news", b"nobody")
p.close()
print(json.dumps(out))
