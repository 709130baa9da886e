"""Ed25519 keys, in the PEM files `cairn keygen` writes (PKCS#8, mode 0600)."""
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cairn_client.signing import address_of


class Key:
    def __init__(self, private: Ed25519PrivateKey):
        self._private = private
        self.public_key = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.address = address_of(self.public_key)

    @classmethod
    def generate(cls) -> "Key":
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load(cls, path: str) -> "Key":
        """Refuses a key file others can read, as cairnd and the CLI do."""
        if os.stat(path).st_mode & 0o077:
            raise PermissionError(f"{path} is readable by group or others; chmod 600 it")
        with open(path, "rb") as f:
            private = serialization.load_pem_private_key(f.read(), password=None)
        if not isinstance(private, Ed25519PrivateKey):
            raise ValueError(f"{path} holds no Ed25519 key")
        return cls(private)

    def save(self, path: str) -> None:
        """Writes the key as PEM, readable only by its owner; never over a file."""
        pem = self._private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)
