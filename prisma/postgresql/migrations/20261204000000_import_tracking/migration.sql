-- Which applications an import created ("pending" until it finished, then "done"), so that a re-run never
-- changes others; and which imported keys are weaker than Twake ever generated, to be rotated.
-- AlterTable
ALTER TABLE "applications" ADD COLUMN     "import_state" TEXT;

-- AlterTable
ALTER TABLE "application_keys" ADD COLUMN     "needs_rotation" BOOLEAN NOT NULL DEFAULT false;
