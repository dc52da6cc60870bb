"""Core contracts: errors, the action ledger, results, the family registry, the event engine."""
