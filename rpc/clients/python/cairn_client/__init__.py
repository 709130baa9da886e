"""cairn-client: keys, signing, submit and wait, and reads whose proofs are checked, for
Cairn ledger nodes (rpc/clients/python/README.md).

    from cairn_client import Client, Key
    client = Client("127.0.0.1:26601")
    alice = Key.load("alice.key")
    receipt = client.transfer(alice, bob_address, 10)      # waits for the commit
    client.balance(alice.address)                          # the account proof is checked
"""
from cairn_client.client import Client
from cairn_client.keys import Key
from cairn_client.proofs import ProofError, check_account, check_transaction
from cairn_client.signing import address_of, sign, tx_hash

__all__ = ["Client", "Key", "ProofError", "address_of", "check_account", "check_transaction", "sign", "tx_hash"]
