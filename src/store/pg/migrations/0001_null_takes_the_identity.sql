-- drizzle's SQLite builder writes NULL for a key it leaves to the database (SQLite numbers such a row);
-- PostgreSQL refuses a NULL identity. These triggers number the row instead, as SQLite would (a row
-- that names no key already has its number, and passes through).
CREATE FUNCTION moat_number_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id IS NULL THEN NEW.id := nextval(pg_get_serial_sequence(quote_ident(TG_TABLE_NAME), 'id')); END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE FUNCTION moat_number_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.seq IS NULL THEN NEW.seq := nextval(pg_get_serial_sequence(quote_ident(TG_TABLE_NAME), 'seq')); END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "activities_number_row" BEFORE INSERT ON "activities" FOR EACH ROW EXECUTE FUNCTION moat_number_id();
--> statement-breakpoint
CREATE TRIGGER "alerts_number_row" BEFORE INSERT ON "alerts" FOR EACH ROW EXECUTE FUNCTION moat_number_id();
--> statement-breakpoint
CREATE TRIGGER "allowlist_number_row" BEFORE INSERT ON "allowlist" FOR EACH ROW EXECUTE FUNCTION moat_number_id();
--> statement-breakpoint
CREATE TRIGGER "api_keys_number_row" BEFORE INSERT ON "api_keys" FOR EACH ROW EXECUTE FUNCTION moat_number_id();
--> statement-breakpoint
CREATE TRIGGER "model_versions_number_row" BEFORE INSERT ON "model_versions" FOR EACH ROW EXECUTE FUNCTION moat_number_id();
--> statement-breakpoint
CREATE TRIGGER "outbox_number_row" BEFORE INSERT ON "outbox" FOR EACH ROW EXECUTE FUNCTION moat_number_seq();
--> statement-breakpoint
CREATE TRIGGER "security_checks_number_row" BEFORE INSERT ON "security_checks" FOR EACH ROW EXECUTE FUNCTION moat_number_id();
--> statement-breakpoint
CREATE TRIGGER "threats_number_row" BEFORE INSERT ON "threats" FOR EACH ROW EXECUTE FUNCTION moat_number_id();
--> statement-breakpoint
CREATE TRIGGER "traffic_number_row" BEFORE INSERT ON "traffic" FOR EACH ROW EXECUTE FUNCTION moat_number_id();
