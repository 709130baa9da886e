"""Builds the gRPC stubs from the repository's proto/ at install time (protoc with
Debian's grpc_python_plugin, or grpcio-tools where that is installed), so the package
never carries a stale copy of the API. CAIRN_PROTO_DIR names proto/ when the package is
built outside the repository."""
import os
import shutil
import subprocess
import sys

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


def proto_dir():
    path = os.environ.get("CAIRN_PROTO_DIR") or os.path.join(HERE, "..", "..", "..", "proto")
    if not os.path.isdir(os.path.join(path, "cairn", "v1")):
        sys.exit(f"cairn-client: no proto/cairn/v1 at {path}; set CAIRN_PROTO_DIR to the repository's proto/")
    return os.path.abspath(path)


def protoc_command(out):
    plugin = shutil.which("grpc_python_plugin")
    if shutil.which("protoc") and plugin:
        return ["protoc", f"--plugin=protoc-gen-grpc_python={plugin}", f"--python_out={out}", f"--grpc_python_out={out}"]
    return [sys.executable, "-m", "grpc_tools.protoc", f"--python_out={out}", f"--grpc_python_out={out}"]


class BuildWithStubs(build_py):
    def run(self):
        super().run()
        source = proto_dir()
        protos = sorted(os.path.join("cairn", "v1", f) for f in os.listdir(os.path.join(source, "cairn", "v1"))
                        if f.endswith(".proto"))
        subprocess.run(protoc_command(self.build_lib) + ["-I", source] + protos, check=True)
        # The generated modules import each other as cairn.v1.*: make those packages.
        for package in ("cairn", os.path.join("cairn", "v1")):  # cairn/ exists: protoc wrote into it
            open(os.path.join(self.build_lib, package, "__init__.py"), "a").close()


# The wheel takes everything in build_lib, the generated cairn/v1 with it.
setup(cmdclass={"build_py": BuildWithStubs})
