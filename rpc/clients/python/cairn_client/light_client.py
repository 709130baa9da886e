"""The light client, as `cairn` has it (node/light_client.h), written from the rules: a
node's answers are checked against the validator sets, not against the node.

It trusts the genesis file (epoch 0's set), or a checkpoint HEIGHT:HASH (the genesis
block, or the last block of an epoch, as `cairn epochs` prints them), and proves each
later set by the change that installed it: the last block of an epoch, a certificate of the set before whose
commit_hash names it (it is final), and the governance state its header commits to,
which names the next set. A header is then proven committed by a certificate of its
epoch's set naming it, or naming a later block of its epoch whose headers chain back to
it (a block's own certificate is not enough: a certified block may be abandoned); the
account or transaction is checked under that header (proofs.py). What it proved is kept
in a small JSON file, so the next read of a known epoch costs one certificate check."""
import json
import os
import struct
import time
from typing import Callable, List, Optional

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from cairn.v1 import api_pb2, block_pb2, p2p_pb2

from cairn_client.proofs import ProofError, check_account, check_asset, check_transaction, merkle_root
from cairn_client.signing import domain_hash, domain_prefix, tx_hash

FORMAT = "cairn-trust-py/1"
MAX_COMMIT_PROOF_HEADERS = 64

# Given the first epoch wanted, a page of epoch changes (the node's GetEpochChanges).
Fetcher = Callable[[int], p2p_pb2.EpochChangesResponse]


def block_hash(chain_id: str, header: bytes) -> bytes:
    return domain_hash(b"block", chain_id, header)


def governance_hash(chain_id: str, state) -> bytes:
    return domain_hash(b"governance", chain_id, state.SerializeToString(deterministic=True))


def vote_message(chain_id: str, qc: block_pb2.QuorumCertificate) -> bytes:
    """What each signer of a certificate signed (crypto::VoteStatement)."""
    payload = struct.pack(">QQQ", qc.epoch, qc.round, qc.height) + qc.block_hash
    payload += (b"\1" + qc.commit_hash) if qc.commit_hash else b"\0"
    return domain_prefix(b"vote", chain_id) + payload


class Epoch:
    """A proven epoch: its number, its validators' keys in index order, and its root
    (the block its first block builds on; genesis has no hash here)."""

    def __init__(self, epoch: int, keys: List[bytes], root_height: int, root_hash: bytes = b""):
        self.epoch, self.keys, self.root_height, self.root_hash = epoch, keys, root_height, root_hash

    def to_json(self):
        return {"epoch": self.epoch, "keys": [k.hex() for k in self.keys], "root_height": self.root_height,
                "root_hash": self.root_hash.hex()}

    @classmethod
    def from_json(cls, d):
        return cls(d["epoch"], [bytes.fromhex(k) for k in d["keys"]], d["root_height"], bytes.fromhex(d["root_hash"]))


def verify_certificate(chain_id: str, epoch: Epoch, qc: block_pb2.QuorumCertificate) -> None:
    """Raises ProofError unless a quorum of `epoch`'s set signed `qc` (crypto/quorum.h)."""
    if qc.epoch != epoch.epoch:
        raise ProofError(f"certificate of epoch {qc.epoch}, not {epoch.epoch}")
    if len(qc.block_hash) != 32 or (qc.commit_hash and len(qc.commit_hash) != 32) or qc.round == 0:
        raise ProofError("certificate is malformed")
    n = len(epoch.keys)
    quorum = n - (n - 1) // 3
    if len(qc.signatures) < quorum:
        raise ProofError(f"certificate has {len(qc.signatures)} signatures, a quorum of {n} validators needs {quorum}")
    message, previous = vote_message(chain_id, qc), -1
    for s in qc.signatures:
        if s.validator_index >= n or s.validator_index <= previous:
            raise ProofError(f"certificate names validator {s.validator_index} out of range or out of order")
        previous = s.validator_index
        try:
            Ed25519PublicKey.from_public_bytes(epoch.keys[s.validator_index]).verify(s.signature, message)
        except (InvalidSignature, ValueError):
            raise ProofError(f"certificate signature of validator {s.validator_index} is invalid") from None


def verify_epoch_change(chain_id: str, before: Epoch, change: p2p_pb2.EpochChangeProof) -> Epoch:
    """The epoch after `before`, as `change` proves it (node/epoch_chain.h)."""
    nxt = before.epoch + 1
    header = block_pb2.BlockHeader()
    header.ParseFromString(change.header)
    if header.epoch != before.epoch or header.height <= before.root_height:
        raise ProofError(f"the change to epoch {nxt}: the block is not of epoch {before.epoch} above its root")
    digest = block_hash(chain_id, change.header)
    if change.finality.epoch != before.epoch or change.finality.commit_hash != digest:
        raise ProofError(f"the change to epoch {nxt}: the certificate does not prove that block final")
    try:
        verify_certificate(chain_id, before, change.finality)
    except ProofError as e:
        raise ProofError(f"the change to epoch {nxt}: the certificate: {e}") from None
    if header.governance_hash != governance_hash(chain_id, change.governance) or change.governance.epoch != nxt:
        raise ProofError(f"the change to epoch {nxt}: the governance state is not the one the header commits to")
    return Epoch(nxt, [v.public_key for v in change.governance.validators.validators], header.height, digest)


def _epoch_of_root(chain_id: str, height: int, digest: bytes, change: p2p_pb2.EpochChangeProof) -> Epoch:
    """The epoch whose root is the block `height`:`digest`, from `change` (the genesis root
    or the change that block makes): its header must hash to `digest`, its governance
    state be the one that header commits to."""
    what = f"checkpoint {height}:{digest.hex()}"
    header = block_pb2.BlockHeader()
    header.ParseFromString(change.header)
    if header.height != height or block_hash(chain_id, change.header) != digest:
        raise ProofError(f"{what} is not the genesis block or the last block of an epoch of chain {chain_id} "
                         "(`cairn epochs` lists the checkpoints)")
    if header.governance_hash != governance_hash(chain_id, change.governance) or \
            change.governance.epoch != (0 if height == 0 else header.epoch + 1):
        raise ProofError(f"{what}: the governance state given with it is not the one its header commits to")
    return Epoch(change.governance.epoch, [v.public_key for v in change.governance.validators.validators], height, digest)


class LightClient:
    def __init__(self, chain_id: str, epochs: List[Epoch], latest_height: int = 0, path: Optional[str] = None,
                 root: str = "genesis"):
        self.chain_id, self.epochs, self.latest_height, self.path = chain_id, epochs, latest_height, path
        self.root = root  # "genesis" (the file) or the checkpoint trusted

    @classmethod
    def from_checkpoint(cls, chain_id: str, checkpoint: str, node, store_path: Optional[str] = None) -> "LightClient":
        """Trusting the block `checkpoint` ("HEIGHT:HASH") of chain `chain_id`: the genesis
        block (0:HASH) or the last block of an epoch, whose set comes from the change the
        node `node` (a Client, unverified: only what hashes to HASH is taken) gives for it.
        A block that ends no epoch is refused, saying so."""
        height_text, _, hash_text = checkpoint.partition(":")
        try:
            height, digest = int(height_text), bytes.fromhex(hash_text)
        except ValueError:
            raise ProofError(f"'{checkpoint}' is not a checkpoint HEIGHT:HASH") from None
        root = f"{height}:{digest.hex()}"
        if store_path and os.path.exists(store_path):
            with open(store_path) as f:
                stored = json.load(f)
            if stored.get("format") == FORMAT and stored["chain_id"] == chain_id and stored.get("root") == root:
                epochs = [Epoch.from_json(e) for e in stored["epochs"]]
                if epochs and [e.epoch for e in epochs] == list(range(epochs[0].epoch, epochs[0].epoch + len(epochs))):
                    return cls(chain_id, epochs, stored.get("latest_height", 0), store_path, root)
        # The epoch it starts: 0 for genesis, else the one after its own block's.
        epoch = 0
        if height:
            block = node.ledger.GetBlock(api_pb2.GetBlockRequest(height=height), timeout=node.timeout).block
            epoch = block_pb2.BlockHeader.FromString(block.header).epoch + 1
        page = node.epoch_changes(epoch)
        if not page.changes:
            raise ProofError(f"checkpoint {root}: the node gives no change to epoch {epoch} {page.error}".rstrip())
        client = cls(chain_id, [_epoch_of_root(chain_id, height, digest, page.changes[0])], height, store_path, root)
        client.save()
        return client

    @classmethod
    def from_genesis(cls, genesis_path: str, store_path: Optional[str] = None) -> "LightClient":
        """Trusting the genesis file; what an earlier run proved is read from `store_path`
        when it holds the same chain and genesis set, and saved there after each read."""
        with open(genesis_path) as f:
            genesis = json.load(f)
        keys = [bytes.fromhex(v["public_key"]) for v in genesis["validators"]]
        if store_path and os.path.exists(store_path):
            with open(store_path) as f:
                stored = json.load(f)
            if stored.get("format") == FORMAT and stored["chain_id"] == genesis["chain_id"] and \
                    stored.get("root", "genesis") == "genesis" and \
                    stored["epochs"] and Epoch.from_json(stored["epochs"][0]).keys == keys:
                epochs = [Epoch.from_json(e) for e in stored["epochs"]]
                if [e.epoch for e in epochs] == list(range(len(epochs))):
                    return cls(genesis["chain_id"], epochs, stored.get("latest_height", 0), store_path)
        return cls(genesis["chain_id"], [Epoch(0, keys, 0)], 0, store_path)

    @property
    def first_epoch(self) -> int:
        return self.epochs[0].epoch

    def save(self) -> None:
        if not self.path:
            return
        temporary = self.path + ".tmp"
        with open(temporary, "w") as f:
            json.dump({"format": FORMAT, "chain_id": self.chain_id, "root": self.root, "latest_height": self.latest_height,
                       "epochs": [e.to_json() for e in self.epochs]}, f)
        os.replace(temporary, self.path)

    @property
    def latest_epoch(self) -> int:
        return self.epochs[-1].epoch

    def prove_epoch(self, epoch: int, fetch: Fetcher) -> None:
        while self.latest_epoch < epoch:
            page = fetch(self.latest_epoch + 1)
            if not page.changes:
                raise ProofError(f"cannot prove epoch {epoch}: the node gives no change to epoch "
                                 f"{self.latest_epoch + 1} {page.error}".rstrip())
            for change in page.changes:
                self.epochs.append(verify_epoch_change(self.chain_id, self.epochs[-1], change))
                if self.latest_epoch >= epoch:
                    break

    def verify_committed(self, header_bytes: bytes, proof: block_pb2.CommitProof, fetch: Fetcher):
        """The header, parsed, once proven committed; ProofError naming what failed."""
        header = block_pb2.BlockHeader()
        header.ParseFromString(header_bytes)
        what = f"block {header.height}"
        digest = block_hash(self.chain_id, header_bytes)
        if header.height == self.epochs[0].root_height and digest == self.epochs[0].root_hash:
            return header  # the checkpoint itself
        if header.epoch < self.first_epoch:
            raise ProofError(f"epoch {header.epoch} is before this client's checkpoint ({self.root}): it cannot prove it")
        self.prove_epoch(header.epoch, fetch)
        epoch = self.epochs[header.epoch - self.first_epoch]
        if header.height <= epoch.root_height:
            raise ProofError(f"{what} is not above the root of its epoch {epoch.epoch}")
        if epoch.epoch < self.latest_epoch:
            end = self.epochs[epoch.epoch + 1 - self.first_epoch]
            if header.height > end.root_height or (header.height == end.root_height and digest != end.root_hash):
                raise ProofError(f"{what} is not a block of epoch {epoch.epoch}, which ended at block {end.root_height}")
        if len(proof.descendant_headers) > MAX_COMMIT_PROOF_HEADERS:
            raise ProofError(f"{what}: the commit proof carries too many headers")
        named, named_height = digest, header.height
        for raw in proof.descendant_headers:
            nxt = block_pb2.BlockHeader()
            nxt.ParseFromString(raw)
            if nxt.height != named_height + 1 or nxt.parent_hash != named or nxt.epoch != epoch.epoch:
                raise ProofError(f"{what}: the headers of its commit proof are not a chain of its epoch after it")
            named, named_height = block_hash(self.chain_id, raw), nxt.height
        if proof.finality.epoch != epoch.epoch or proof.finality.commit_hash != named:
            raise ProofError(f"{what} is not proven committed: the certificate given does not name it "
                             f"(or a block after it) committed in epoch {epoch.epoch}")
        try:
            verify_certificate(self.chain_id, epoch, proof.finality)
        except ProofError as e:
            raise ProofError(f"{what}: its commit certificate: {e}") from None
        self.latest_height = max(self.latest_height, header.height)
        return header

    def verify_account(self, answer: api_pb2.GetAccountResponse, fetch: Fetcher, max_age_s: Optional[float] = 300):
        """The account answer's header committed and fresh (of the newest proven epoch, made
        at most `max_age_s` ago; None: any age), the account proven under its state root."""
        header = self.verify_state_header(answer, fetch, max_age_s)
        check_account(answer)
        self.save()
        return header

    def verify_asset(self, name: str, answer: api_pb2.GetAssetResponse, fetch: Fetcher, max_age_s: Optional[float] = 300):
        """The same for the definition of the asset `name`."""
        header = self.verify_state_header(answer, fetch, max_age_s)
        check_asset(name, answer)
        self.save()
        return header

    def verify_state_header(self, answer, fetch: Fetcher, max_age_s: Optional[float]):
        """A state answer's header committed, of the newest proven epoch, and fresh."""
        header = self.verify_committed(answer.block_header, answer.commit_proof, fetch)
        if header.height != answer.height:
            raise ProofError("the answer's height is not its header's")
        if header.epoch < self.latest_epoch:
            raise ProofError(f"the answer is the state after block {header.height} of epoch {header.epoch}, but epoch "
                             f"{self.latest_epoch} has begun since (proven): the node serves an old state")
        age = time.time() - header.timestamp_ms / 1000
        if max_age_s is not None and age > max_age_s:
            raise ProofError(f"the answer is the state after block {header.height}, made {int(age)} s ago (more than "
                             f"{max_age_s} s allowed): the node is behind or serves an old state")
        return header

    def verify_transaction(self, answer: api_pb2.GetTransactionResponse, fetch: Fetcher):
        header = self.verify_committed(answer.block_header, answer.commit_proof, fetch)
        if answer.block_hash != block_hash(self.chain_id, answer.block_header) or answer.receipt.height != header.height:
            raise ProofError("the answer's block hash or height is not its header's")
        check_transaction(answer)
        self.save()
        return header

    def verify_block(self, answer: api_pb2.GetBlockResponse, fetch: Fetcher):
        header = self.verify_committed(answer.block.header, answer.commit_proof, fetch)
        if answer.hash != block_hash(self.chain_id, answer.block.header) or answer.height != header.height:
            raise ProofError("the answer's block hash or height is not its header's")
        if merkle_root([tx_hash(self.chain_id, tx) for tx in answer.block.transactions]) != header.tx_root:
            raise ProofError(f"block {header.height}: its transactions are not the ones its header commits to")
        evidence = [domain_hash(b"evidence", self.chain_id, e.SerializeToString()) for e in answer.block.evidence]
        # (The genesis header has no evidence root: it commits to no evidence.)
        genesis_without_root = header.height == 0 and not header.evidence_root and not evidence
        if not genesis_without_root and merkle_root(evidence) != header.evidence_root:
            raise ProofError(f"block {header.height}: its evidence is not the one its header commits to")
        self.save()
        return header
