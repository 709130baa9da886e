"""What the Python tests share: stubs generated from proto/ with Debian's
grpc_python_plugin, Cairn's signing rules written from the spec (crypto/domain.h), and a
local network of cairnd processes that stops with the test."""
import hashlib
import json
import os
import signal
import struct
import subprocess
import sys
import time


def generate_stubs(proto_dir, work):
    """Python modules for every .proto (cairn/v1 and grpc/health/v1), importable after."""
    stubs = os.path.join(work, "stubs")
    os.makedirs(stubs, exist_ok=True)
    protos = [os.path.relpath(os.path.join(root, f), proto_dir)
              for root, _, files in os.walk(proto_dir) for f in files if f.endswith(".proto")]
    subprocess.run(["protoc", "-I", proto_dir, "--python_out", stubs, "--grpc_python_out", stubs,
                    "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin"] + protos, check=True)
    sys.path.insert(0, stubs)


def domain_prefix(tag, chain_id):
    return b"cairn/" + tag + b"/v1\0" + struct.pack(">I", len(chain_id)) + chain_id.encode()


def address_of(public_key):
    return hashlib.sha256(domain_prefix(b"address", "") + public_key).digest()[:20]


def raw_public(key):
    from cryptography.hazmat.primitives import serialization
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def load_key(path):
    from cryptography.hazmat.primitives import serialization
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


def sign(key, body):
    from cairn.v1 import transaction_pb2
    message = domain_prefix(b"tx", body.chain_id) + body.SerializeToString()
    return transaction_pb2.Transaction(body=body.SerializeToString(), public_key=raw_public(key),
                                       signature=key.sign(message))


class Network:
    """`cairn testnet` of `validators` nodes in WORK/net, started; `configure(i, config)`
    may change node i's config first. Stop with stop()."""

    def __init__(self, cairn, cairnd, work, validators, base_port, configure=None):
        self.dir = os.path.join(work, "net")
        self.base_port = base_port
        self.validators = validators
        subprocess.run([cairn, "testnet", "--validators", str(validators), "--out", self.dir,
                        "--base-port", str(base_port)], check=True, stdout=subprocess.DEVNULL)
        self.processes = []
        for i in range(validators):
            path = os.path.join(self.dir, f"node{i}", "config.json")
            if configure:
                config = json.load(open(path))
                configure(i, config)
                json.dump(config, open(path, "w"))
            self.processes.append(subprocess.Popen(
                [cairnd, "--config", path], stderr=open(os.path.join(self.dir, f"node{i}", "cairnd.log"), "w")))

    def grpc_address(self, i=0):
        return f"127.0.0.1:{self.base_port + 4 * i + 1}"

    def http_address(self, i=0):
        return f"127.0.0.1:{self.base_port + 4 * i + 3}"

    def wait_for_height(self, node_stub, height, seconds=60):
        import grpc
        from cairn.v1 import api_pb2
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                status = node_stub.GetStatus(api_pb2.GetStatusRequest(), timeout=2)
                if status.height >= height:
                    return status
            except grpc.RpcError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the network did not reach height {height} within {seconds} s")

    def stop(self):
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
