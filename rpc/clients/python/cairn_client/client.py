"""A client of one node's gRPC API. Every read that comes with a proof is checked before
it is returned (a ProofError otherwise): with a LightClient (light_client.py), against
the validator sets proven from the genesis file or a checkpoint; without one, only against the header
the node sends with it. Every call has a deadline."""
import time
from typing import Optional

import grpc

from cairn.v1 import api_pb2, api_pb2_grpc, p2p_pb2, state_pb2, transaction_pb2

from cairn_client.keys import Key
from cairn_client.light_client import LightClient
from cairn_client.proofs import ProofError, check_account, check_asset, check_transaction
from cairn_client.signing import sign

ROLES = {"user": state_pb2.ROLE_USER, "issuer": state_pb2.ROLE_ISSUER, "admin": state_pb2.ROLE_ADMIN}


class Client:
    def __init__(self, address: str, tls_ca: Optional[str] = None, timeout: float = 10.0,
                 trust: Optional[LightClient] = None, max_age_s: Optional[float] = 300):
        """`address` is HOST:PORT of a node's grpc_listen; `tls_ca` a PEM file to trust
        when the node serves TLS (rpc_tls); `trust` the light client that checks answers
        against the validators (`max_age_s`: the oldest state an account read accepts)."""
        if tls_ca:
            with open(tls_ca, "rb") as f:
                channel = grpc.secure_channel(address, grpc.ssl_channel_credentials(f.read()))
        else:
            channel = grpc.insecure_channel(address)
        self.channel = channel
        self.timeout = timeout
        self.node = api_pb2_grpc.NodeStub(channel)
        self.ledger = api_pb2_grpc.LedgerStub(channel)
        self.transactions = api_pb2_grpc.TransactionsStub(channel)
        self._chain_id = None
        self.trust, self.max_age_s = trust, max_age_s

    def close(self) -> None:
        self.channel.close()

    # Reads.
    def status(self) -> api_pb2.GetStatusResponse:
        return self.node.GetStatus(api_pb2.GetStatusRequest(), timeout=self.timeout)

    def chain_id(self) -> str:
        if self._chain_id is None:
            self._chain_id = self.status().chain_id
        return self._chain_id

    def account(self, address: bytes) -> api_pb2.GetAccountResponse:
        """The account at `address` (20 bytes) with its proof checked; `.HasField("account")`
        is False for an address with no account, and that absence is proven too."""
        answer = self.ledger.GetAccount(api_pb2.GetAccountRequest(address=address), timeout=self.timeout)
        if answer.proof.address != address:
            raise ProofError("the proof is for another address")
        if self.trust:
            self.trust.verify_account(answer, self.epoch_changes, self.max_age_s)
        else:
            check_account(answer)
        return answer

    def asset(self, name: str) -> api_pb2.GetAssetResponse:
        """The definition of asset `name`, supply included, with its proof checked;
        `.HasField("asset")` is False for an unregistered one, and that is proven too."""
        answer = self.ledger.GetAsset(api_pb2.GetAssetRequest(name=name), timeout=self.timeout)
        if self.trust:
            self.trust.verify_asset(name, answer, self.epoch_changes, self.max_age_s)
        else:
            check_asset(name, answer)
        return answer

    def balance(self, address: bytes, asset: str = "CAIRN") -> int:
        return next((b.amount for b in self.account(address).account.balances if b.asset == asset), 0)

    def transaction(self, tx_hash: bytes) -> api_pb2.GetTransactionResponse:
        """PENDING, UNKNOWN, or COMMITTED with its receipt and inclusion proof checked."""
        answer = self.transactions.GetTransaction(api_pb2.GetTransactionRequest(tx_hash=tx_hash), timeout=self.timeout)
        self._check_committed(tx_hash, answer)
        return answer

    def block(self, height: Optional[int] = None) -> api_pb2.GetBlockResponse:
        """A committed block; with `trust`, its header proven committed and its body the one
        the header commits to."""
        request = api_pb2.GetBlockRequest(latest=True) if height is None else api_pb2.GetBlockRequest(height=height)
        answer = self.ledger.GetBlock(request, timeout=self.timeout)
        if self.trust:
            self.trust.verify_block(answer, self.epoch_changes)
        return answer

    def epoch_changes(self, from_epoch: int) -> p2p_pb2.EpochChangesResponse:
        """A page of the validator-set changes from `from_epoch` on, as the node proves them."""
        return self.ledger.GetEpochChanges(p2p_pb2.EpochChangesRequest(from_epoch=from_epoch), timeout=self.timeout)

    # Writes.
    def submit(self, tx: transaction_pb2.Transaction) -> bytes:
        """The transaction's hash once the node admits it; grpc.RpcError with the reason if not."""
        return self.transactions.Submit(api_pb2.SubmitRequest(transaction=tx), timeout=self.timeout).tx_hash

    def wait_for_commit(self, tx_hash: bytes, timeout_s: float = 30.0) -> api_pb2.GetTransactionResponse:
        """Waits (at most `timeout_s`) until the transaction commits; its receipt, checked.
        TimeoutError if it has not committed by then."""
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"transaction {tx_hash.hex()} did not commit within {timeout_s} s")
            request = api_pb2.WaitForCommitRequest(tx_hash=tx_hash, timeout_ms=int(min(left, 60) * 1000))
            answer = self.transactions.WaitForCommit(request, timeout=min(left, 60) + self.timeout)
            if answer.state == api_pb2.GetTransactionResponse.COMMITTED:
                self._check_committed(tx_hash, answer)
                return answer

    def next_nonce(self, address: bytes) -> int:
        """The nonce the sender's next transaction needs (after its committed ones)."""
        return self.account(address).account.nonce + 1

    def send(self, key: Key, body: transaction_pb2.TxBody, wait: bool = True):
        """Fills in the chain id and (when 0) the nonce, signs, submits, and with `wait`
        returns the checked receipt answer; without, the hash."""
        body.chain_id = self.chain_id()
        if body.nonce == 0:
            body.nonce = self.next_nonce(key.address)
        tx_hash = self.submit(sign(key, body))
        return self.wait_for_commit(tx_hash) if wait else tx_hash

    def transfer(self, key: Key, to: bytes, amount: int, asset: str = "CAIRN", wait: bool = True):
        body = transaction_pb2.TxBody()
        body.transfer.to, body.transfer.asset, body.transfer.amount = to, asset, amount
        return self.send(key, body, wait)

    def create_account(self, admin: Key, public_key: bytes, role: str = "user", wait: bool = True):
        body = transaction_pb2.TxBody()
        body.create_account.public_key, body.create_account.role = public_key, ROLES[role]
        return self.send(admin, body, wait)

    def mint(self, issuer: Key, to: bytes, asset: str, amount: int, wait: bool = True):
        body = transaction_pb2.TxBody()
        body.mint.to, body.mint.asset, body.mint.amount = to, asset, amount
        return self.send(issuer, body, wait)

    def _check_committed(self, tx_hash: bytes, answer: api_pb2.GetTransactionResponse) -> None:
        if answer.state != api_pb2.GetTransactionResponse.COMMITTED:
            return
        if self.trust:
            self.trust.verify_transaction(answer, self.epoch_changes)
        else:
            check_transaction(answer)
        if answer.receipt.tx_hash != tx_hash:
            raise ProofError("the answer is for another transaction")


