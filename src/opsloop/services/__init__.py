"""The service layer: one module per concept. Every function takes a ServiceContext (session +
actor), authorises, validates, changes the store, writes its event and audit record, and
never commits: the caller owns the transaction."""
