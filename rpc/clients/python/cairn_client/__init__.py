"""cairn-client: keys, signing, submit and wait, and reads whose proofs are checked, for
Cairn ledger nodes (rpc/clients/python/README.md).

    from cairn_client import Client, Key, LightClient
    trust = LightClient.from_genesis("genesis.json", "cairn-devnet.trust")
    client = Client("127.0.0.1:26601", trust=trust)     # answers checked against the validators
    alice = Key.load("alice.key")
    receipt = client.transfer(alice, bob_address, 10)      # waits for the commit
    client.balance(alice.address)                          # the account proof is checked
"""
from cairn_client.client import Client
from cairn_client.keys import Key
from cairn_client.light_client import LightClient
from cairn_client.proofs import ProofError, check_account, check_asset, check_transaction
from cairn_client.signing import address_of, sign, tx_hash

__all__ = ["Client", "Key", "LightClient", "ProofError", "address_of", "check_account", "check_asset", "check_transaction", "sign", "tx_hash"]
