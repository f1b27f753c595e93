"""The tamper-evident audit trail: append-only, hash-chained events written with the data they describe."""
