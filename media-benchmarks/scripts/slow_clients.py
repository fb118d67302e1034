"""Slow clients against a media server: N connections each download a large file reading about
1 KB/s (receive buffer 4 KiB), and while they all hang on, fresh GETs of a small file (a new
connection each) are timed. Prints one JSON line: connections in place, the fresh GETs' latencies
(ms), and the server's RSS and threads (from /proc/PID/status) before and during.

Usage: slow_clients.py PORT TOKEN LARGE_PATH SMALL_PATH SERVER_PID [CONNECTIONS [FRESH_GETS]]
"""
import asyncio
import http.client
import json
import socket
import statistics
import sys
import time

port, token, large, small, pid = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
connections = int(sys.argv[6]) if len(sys.argv) > 6 else 2000
fresh_gets = int(sys.argv[7]) if len(sys.argv) > 7 else 20


def status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    mib = lambda k: int(fields[k].split()[0]) // 1024
    # RssFile counts each mapped page once per mapping (a file mapped by 2000 responses counts
    # 2000 times although it is one page-cache copy); RssAnon is the process's own memory
    return {"rss_mib": mib("VmRSS"), "rss_anon_mib": mib("RssAnon"), "rss_file_mib": mib("RssFile"),
            "threads": int(fields["Threads"])}


async def slow_reader(ready, stop, received):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", int(port)))
    reader, writer = await asyncio.open_connection(sock=sock, limit=4096)
    writer.write(f"GET {large} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(head[:60])
    ready.append(1)
    while not stop.is_set():
        chunk = await reader.read(1024)
        if not chunk:
            break
        received[0] += len(chunk)
        await asyncio.sleep(1)
    writer.close()


def fresh_get():
    start = time.monotonic()
    c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
    try:
        c.request("GET", small, headers={"Authorization": "Bearer " + token})
        r = c.getresponse()
        r.read()
        if r.status != 200:
            raise RuntimeError(r.status)
    finally:
        c.close()
    return (time.monotonic() - start) * 1000


async def main():
    before = status(pid)
    ready, received, stop = [], [0], asyncio.Event()
    tasks = []
    for i in range(connections):
        tasks.append(asyncio.create_task(slow_reader(ready, stop, received)))
        if i % 100 == 99:
            await asyncio.sleep(0.05)
    deadline = time.monotonic() + 120
    while len(ready) < connections and time.monotonic() < deadline:
        failed = [t for t in tasks if t.done() and t.exception()]
        if failed:
            break
        await asyncio.sleep(0.2)
    in_place = len(ready)
    await asyncio.sleep(3)  # every slow reader past its first reads
    during = status(pid)
    latencies = []
    for _ in range(fresh_gets):
        try:
            latencies.append(await asyncio.to_thread(fresh_get))
        except Exception as e:  # a timeout is a result, not a crash of the benchmark
            latencies.append(10000.0)
        await asyncio.sleep(0.25)
    after = status(pid)
    stop.set()
    for t in tasks:
        t.cancel()
    errors = sum(1 for t in tasks if t.done() and not t.cancelled() and t.exception())
    print(json.dumps({
        "connections": connections, "in_place": in_place, "errors": errors,
        "fresh_get_ms": {"median": round(statistics.median(latencies), 1), "max": round(max(latencies), 1),
                         "all": [round(x, 1) for x in latencies]},
        "server_before": before, "server_during": during, "server_after": after,
        "slow_bytes_received": received[0]}))


asyncio.run(main())
