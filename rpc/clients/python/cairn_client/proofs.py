"""Checks of what a node answers, against the roots it claims (as `cairn` checks them):
a transaction's inclusion under its block's transactions root (RFC 6962), an account's
state, or its absence, under the state root of the block header that came with it (the
state tree of ledger/state_tree.h). A root is only as good as the header it is in: a
client that trusts a certified header (the block's hash) checks that in turn."""
import hashlib

from cairn.v1 import api_pb2, block_pb2, state_pb2, transaction_pb2

from cairn_client.signing import domain_hash, tx_hash

EMPTY = bytes(32)
MAX_DEPTH = 256


class ProofError(Exception):
    """A node's answer whose proof does not hold: the node is wrong or lying."""


def _sha256(*parts: bytes) -> bytes:
    return hashlib.sha256(b"".join(parts)).digest()


def verify_merkle_inclusion(leaf: bytes, index: int, size: int, proof, root: bytes) -> bool:
    """RFC 6962 section 2.1.1: `leaf` (a transaction hash) is entry `index` of `size`."""
    if index >= size:
        return False
    fn, sn = index, size - 1
    r = _sha256(b"\0", leaf)
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _sha256(b"\1", p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = _sha256(b"\1", r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def merkle_root(leaves) -> bytes:
    """RFC 6962's tree hash of `leaves` (crypto/merkle.h: pairs level by level, an odd
    one carried up)."""
    if not leaves:
        return _sha256()
    level = [_sha256(b"\0", leaf) for leaf in leaves]
    while len(level) > 1:
        level = [_sha256(b"\1", level[i], level[i + 1]) if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
    return level[0]


def _bit(key: bytes, depth: int) -> int:
    return (key[depth // 8] >> (7 - depth % 8)) & 1


def verify_state_proof(root: bytes, key: bytes, value_hash, siblings, leaf) -> bool:
    """`key` maps to `value_hash` (or, with None, to nothing) under `root`. `leaf` is the
    (key, value_hash) the path ends in, or None for an empty subtree."""
    # Every hash is 32 bytes: a longer "key" glued to a shorter value hash could
    # otherwise hash to an existing leaf and pass as another key's.
    if len(siblings) > MAX_DEPTH or any(len(s) != 32 for s in siblings):
        return False
    if leaf is not None and (len(leaf[0]) != 32 or len(leaf[1]) != 32):
        return False
    current = EMPTY
    if value_hash is not None:
        if leaf is None or leaf != (key, value_hash):
            return False
        current = _sha256(b"\0", key, value_hash)
    elif leaf is not None:
        other, other_value = leaf
        # Absence by another key's leaf where this key's path ends: it must share the path.
        if other == key or any(_bit(other, d) != _bit(key, d) for d in range(len(siblings))):
            return False
        current = _sha256(b"\0", other, other_value)
    for i, sibling in enumerate(siblings):
        depth = len(siblings) - 1 - i
        current = _sha256(b"\1", sibling, current) if _bit(key, depth) else _sha256(b"\1", current, sibling)
    return current == root


def check_account(answer: api_pb2.GetAccountResponse) -> None:
    """Raises ProofError unless the account (or its absence) is proven under the state
    root, and that root is the one of the block header sent with it."""
    header = block_pb2.BlockHeader()
    header.ParseFromString(answer.block_header)
    if header.state_root != answer.state_root:
        raise ProofError("the state root is not the block header's")
    p = answer.proof
    key = hashlib.sha256(p.address).digest()
    value = domain_hash(b"account", "", p.account) if p.account else None
    if p.other_leaf_key:
        leaf = (p.other_leaf_key, p.other_leaf_value_hash)
    elif p.account:
        leaf = (key, value)
    else:
        leaf = None
    if not verify_state_proof(answer.state_root, key, value, list(p.siblings), leaf):
        raise ProofError("the account proof does not lead to the state root")
    proven = state_pb2.Account()
    if p.account:
        proven.ParseFromString(p.account)
    if answer.HasField("account") != bool(p.account) or (p.account and proven != answer.account):
        raise ProofError("the account shown is not the account proven")


def check_asset(name: str, answer: api_pb2.GetAssetResponse) -> None:
    """Raises ProofError unless the definition of asset `name` (or its absence) is proven
    under the state root of the header sent with it: its key is the name's
    (ledger/state_entries.h), so no other entry can pass for it."""
    header = block_pb2.BlockHeader()
    header.ParseFromString(answer.block_header)
    if header.state_root != answer.state_root:
        raise ProofError("the state root is not the block header's")
    p = answer.proof
    key = domain_hash(b"asset", "", name.encode())
    if p.key != key:
        raise ProofError("the proof is about another entry than the asset asked for")
    value = domain_hash(b"account", "", p.value) if p.value else None
    if p.other_leaf_key:
        leaf = (p.other_leaf_key, p.other_leaf_value_hash)
    elif p.value:
        leaf = (key, value)
    else:
        leaf = None
    if not verify_state_proof(answer.state_root, key, value, list(p.siblings), leaf):
        raise ProofError("the asset proof does not lead to the state root")
    proven = state_pb2.AssetDefinition()
    if p.value:
        proven.ParseFromString(p.value)
    if answer.HasField("asset") != bool(p.value) or (p.value and proven != answer.asset):
        raise ProofError("the asset shown is not the asset proven")


def check_transaction(answer: api_pb2.GetTransactionResponse) -> None:
    """Raises ProofError unless a committed transaction is proven to be in its block:
    its hash is the receipt's, the inclusion proof leads to the header's transactions
    root, and the receipt (its result) is at the same index under the receipts root."""
    if answer.state != api_pb2.GetTransactionResponse.COMMITTED:
        return
    header = block_pb2.BlockHeader()
    header.ParseFromString(answer.block_header)
    body = transaction_pb2.TxBody()
    body.ParseFromString(answer.transaction.body)
    digest = tx_hash(body.chain_id, answer.transaction)
    if answer.receipt.tx_hash != digest:
        raise ProofError("the receipt is for another transaction")
    if not verify_merkle_inclusion(digest, answer.receipt.index, answer.block_tx_count, list(answer.inclusion_proof),
                                   header.tx_root):
        raise ProofError("the inclusion proof does not lead to the header's transactions root")
    # The receipt (the result) at the same index under the receipts root.
    receipt = domain_hash(b"receipt", body.chain_id, answer.receipt.SerializeToString(deterministic=True))
    if not verify_merkle_inclusion(receipt, answer.receipt.index, answer.block_tx_count, list(answer.receipt_proof),
                                   header.receipts_root):
        raise ProofError("the receipt proof does not lead to the header's receipts root: the result is not proven")
    if domain_hash(b"block", body.chain_id, answer.block_header) != answer.block_hash:
        raise ProofError("the block hash is not the header's")
