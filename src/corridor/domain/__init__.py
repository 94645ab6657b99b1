"""The pure domain core: vocabulary, event schemas and the fold that turns the
ledger into the operation's current state. Nothing here does I/O."""
