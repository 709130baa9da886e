"""What the Python tests share: the cairn-client package (rpc/clients/python) installed
as a user would, with pip, and a local network of cairnd processes that stops with the
test."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time


def with_client_package(prefix, proto_dir):
    """The test's work folder, with cairn-client installed by pip from rpc/clients/python
    into a venv there (offline: the venv sees Debian's grpcio, protobuf, cryptography and
    setuptools; the stubs are built from `proto_dir` at install). The first call installs
    and runs the test again under the venv's Python; there it returns the folder."""
    work = os.environ.get("CAIRN_CLIENT_WORK")
    if work:
        return work
    work = tempfile.mkdtemp(prefix=prefix)
    venv = os.path.join(work, "venv")
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", venv], check=True)
    # A copy, so that the build leaves nothing in the source tree.
    package = os.path.join(work, "cairn-client")
    shutil.copytree(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "rpc", "clients", "python"),
                    package, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    env = dict(os.environ, CAIRN_PROTO_DIR=os.path.abspath(proto_dir))
    subprocess.run([os.path.join(venv, "bin", "pip"), "install", "--quiet", "--no-index", "--no-deps",
                    "--no-build-isolation", package], env=env, check=True)
    python = os.path.join(venv, "bin", "python")
    os.execve(python, [python] + sys.argv, dict(env, CAIRN_CLIENT_WORK=work))


class Network:
    """`cairn testnet` of `validators` nodes in WORK/NAME (`testnet_args` added to its
    command line), started; `configure(i, config)` may change node i's config first.
    Stop with stop()."""

    def __init__(self, cairn, cairnd, work, validators, base_port, configure=None, testnet_args=(), name="net"):
        self.dir = os.path.join(work, name)
        self.base_port = base_port
        self.validators = validators
        subprocess.run([cairn, "testnet", "--validators", str(validators), "--out", self.dir,
                        "--base-port", str(base_port), *testnet_args], check=True, stdout=subprocess.DEVNULL)
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
