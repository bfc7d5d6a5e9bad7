CREATE TABLE "log_blocks" (
	"block" bigint PRIMARY KEY NOT NULL,
	"hash" "bytea" NOT NULL
);
