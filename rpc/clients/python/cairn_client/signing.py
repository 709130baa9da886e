"""Cairn's hashing and signing rules (crypto/domain.h), written from the spec: every hash
and signature is over "cairn/<purpose>/v1" 0x00 || u32be(len(chain_id)) || chain_id ||
payload."""
import hashlib
import struct

from cairn.v1 import transaction_pb2


def domain_prefix(tag: bytes, chain_id: str) -> bytes:
    chain = chain_id.encode()
    return b"cairn/" + tag + b"/v1\0" + struct.pack(">I", len(chain)) + chain


def domain_hash(tag: bytes, chain_id: str, payload: bytes) -> bytes:
    return hashlib.sha256(domain_prefix(tag, chain_id) + payload).digest()


def address_of(public_key: bytes) -> bytes:
    """An account's 20-byte address: the start of DomainHash("address", "", public_key)."""
    return domain_hash(b"address", "", public_key)[:20]


def tx_hash(chain_id: str, tx: transaction_pb2.Transaction) -> bytes:
    """A transaction's hash: it covers the key, the signature and the body bytes; for a
    transaction of several signers, two empty fields, the body, then every signature in
    the order it travels (crypto/domain.h MultiSignedTxHash)."""
    def lp(part: bytes) -> bytes:
        return struct.pack(">I", len(part)) + part
    if not tx.signatures:
        return domain_hash(b"tx", chain_id, lp(tx.public_key) + lp(tx.signature) + lp(tx.body))
    payload = lp(b"") + lp(b"") + lp(tx.body) + struct.pack(">I", len(tx.signatures))
    payload += b"".join(lp(s.public_key) + lp(s.signature) for s in tx.signatures)
    return domain_hash(b"tx", chain_id, payload)


def sign(key, body: transaction_pb2.TxBody) -> transaction_pb2.Transaction:
    """A signed transaction: the body travels as the exact bytes that were signed."""
    raw = body.SerializeToString()
    return transaction_pb2.Transaction(body=raw, public_key=key.public_key,
                                       signature=key.sign(domain_prefix(b"tx", body.chain_id) + raw))
