"""Background work: leases, the event dispatcher and the worker loop that runs them.

Every piece of background work runs under a lease row in the metadata database, so any
number of ``opsloop server`` or ``opsloop worker`` processes can run against one store
and exactly one of them does each piece at a time.
"""
