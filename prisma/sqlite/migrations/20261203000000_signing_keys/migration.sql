-- Keys that sign forward-auth's identity assertions, shared by every instance.
-- CreateTable
CREATE TABLE "signing_keys" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "algorithm" TEXT NOT NULL,
    "private_jwk" TEXT NOT NULL,
    "public_jwk" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "active_from" DATETIME NOT NULL,
    "retires_at" DATETIME
);
