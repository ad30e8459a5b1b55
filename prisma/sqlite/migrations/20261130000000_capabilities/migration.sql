-- Capabilities and privileges an application asks for, its allowed client addresses, and what each
-- installation granted: comma-separated lists, empty by default (nothing asked, any address, nothing granted).
ALTER TABLE "applications" ADD COLUMN "capabilities" TEXT NOT NULL DEFAULT '';
ALTER TABLE "applications" ADD COLUMN "privileges" TEXT NOT NULL DEFAULT '';
ALTER TABLE "applications" ADD COLUMN "allowed_ips" TEXT NOT NULL DEFAULT '';
ALTER TABLE "installations" ADD COLUMN "granted_capabilities" TEXT NOT NULL DEFAULT '';
ALTER TABLE "installations" ADD COLUMN "granted_privileges" TEXT NOT NULL DEFAULT '';
