-- Every change that can alter an access decision notifies channel "twake_app_auth" with the
-- application's public id, so that every running validator forgets its cached answers at once.
CREATE OR REPLACE FUNCTION "twake_app_auth_notify"() RETURNS trigger AS $$
DECLARE
    changed RECORD;
    changed_public_id TEXT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := OLD;
    ELSE
        changed := NEW;
    END IF;
    IF TG_TABLE_NAME = 'applications' THEN
        changed_public_id := changed.public_id;
    ELSE
        SELECT "public_id" INTO changed_public_id FROM "applications" WHERE "id" = changed.application_id;
    END IF;
    IF changed_public_id IS NOT NULL THEN
        PERFORM pg_notify('twake_app_auth', changed_public_id);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "applications_notify" AFTER INSERT OR DELETE OR UPDATE ON "applications"
    FOR EACH ROW EXECUTE FUNCTION "twake_app_auth_notify"();

-- Recording when a key was last used must not empty every cache: only decision-relevant columns.
CREATE TRIGGER "application_keys_notify_insert_delete" AFTER INSERT OR DELETE ON "application_keys"
    FOR EACH ROW EXECUTE FUNCTION "twake_app_auth_notify"();
CREATE TRIGGER "application_keys_notify_update" AFTER UPDATE ON "application_keys"
    FOR EACH ROW
    WHEN (OLD."digest" IS DISTINCT FROM NEW."digest"
       OR OLD."expires_at" IS DISTINCT FROM NEW."expires_at"
       OR OLD."revoked_at" IS DISTINCT FROM NEW."revoked_at"
       OR OLD."application_id" IS DISTINCT FROM NEW."application_id")
    EXECUTE FUNCTION "twake_app_auth_notify"();

CREATE TRIGGER "installations_notify" AFTER INSERT OR DELETE OR UPDATE ON "installations"
    FOR EACH ROW EXECUTE FUNCTION "twake_app_auth_notify"();
