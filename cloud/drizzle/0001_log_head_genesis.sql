-- The log starts empty: seq 0, chain hash 32 zero bytes (the genesis value chainHash() chains from).
INSERT INTO "log_head" ("id", "seq", "chain_hash") VALUES (1, 0, decode(repeat('00', 32), 'hex')) ON CONFLICT DO NOTHING;
