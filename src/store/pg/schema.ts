/**
 * The PostgreSQL tables, made from the SQLite schema (src/store/schema.ts), which stays the one source
 * of truth: each column keeps SQLite's storage class (integer as bigint, booleans and epoch
 * milliseconds included; real as double precision; text as text), so the SQL the store writes and
 * the values it reads back are the same on both. drizzle-kit reads this module to generate
 * PostgreSQL's migrations (`bun run db:generate`).
 */
import { getTableConfig, type SQLiteColumn, type SQLiteTable } from "drizzle-orm/sqlite-core";
import { bigint, doublePrecision, getTableConfig as getPgTableConfig, index, pgTable, primaryKey, text, uniqueIndex, type PgColumnBuilderBase } from "drizzle-orm/pg-core";
import { is, SQL, sql } from "drizzle-orm";
import * as sqliteSchema from "../schema.ts";

/** SQLite's `(unixepoch() * 1000)`, the one SQL default the schema has, in PostgreSQL. */
const NOW_MS = sql`(floor(extract(epoch from now()) * 1000))::bigint`;

function defaultOf(column: SQLiteColumn): unknown {
  const d = column.default;
  if (is(d, SQL)) return NOW_MS;
  return typeof d === "boolean" ? Number(d) : d;
}

function columnOf(column: SQLiteColumn): PgColumnBuilderBase {
  const type = column.getSQLType();
  // An autoincrement key is an identity: PostgreSQL numbers the rows as SQLite does.
  if (type === "integer" && column.primary && (column as { autoIncrement?: boolean }).autoIncrement) {
    return bigint(column.name, { mode: "number" }).primaryKey().generatedByDefaultAsIdentity();
  }
  let built;
  if (type === "integer") built = bigint(column.name, { mode: "number" });
  else if (type === "real") built = doublePrecision(column.name);
  else if (type === "text") built = text(column.name);
  else throw new Error(`${column.name}: SQLite type ${type} has no PostgreSQL twin here`);
  if (column.primary) built = built.primaryKey();
  else if (column.notNull) built = built.notNull();
  if (column.hasDefault && column.default !== undefined) built = built.default(defaultOf(column) as never);
  if (column.isUnique) built = built.unique(column.uniqueName);
  return built;
}

function twin(table: SQLiteTable) {
  const config = getTableConfig(table);
  const columns = Object.fromEntries(config.columns.map((c) => [c.name, columnOf(c)]));
  return pgTable(config.name, columns, (t) => {
    const col = (c: { name: string }) => t[c.name as keyof typeof t] as never;
    return [
      ...config.indexes.map((i) => {
        const cols = i.config.columns.map((c) => col(c as { name: string })) as [never, ...never[]];
        return (i.config.unique ? uniqueIndex(i.config.name) : index(i.config.name)).on(...cols);
      }),
      ...config.primaryKeys.map((k) => primaryKey({ columns: k.columns.map(col) as [never, ...never[]] })),
    ];
  });
}

/** Each column's type in PostgreSQL, by column name: what SQL written by hand casts a value to (the writer's `unnest`). */
export function postgresColumnTypes(table: SQLiteTable): Map<string, string> {
  return new Map(getPgTableConfig(twin(table)).columns.map((c) => [c.name, c.getSQLType()]));
}

// One line a table (drizzle-kit finds tables among a module's exports); a test checks none is missing.
export const traffic = twin(sqliteSchema.traffic);
export const threats = twin(sqliteSchema.threats);
export const alerts = twin(sqliteSchema.alerts);
export const activities = twin(sqliteSchema.activities);
export const metricRollups = twin(sqliteSchema.metricRollups);
export const securityChecks = twin(sqliteSchema.securityChecks);
export const modelVersions = twin(sqliteSchema.modelVersions);
export const tailCheckpoints = twin(sqliteSchema.tailCheckpoints);
export const settings = twin(sqliteSchema.settings);
export const counters = twin(sqliteSchema.counters);
export const apiKeys = twin(sqliteSchema.apiKeys);
export const sessions = twin(sqliteSchema.sessions);
export const bans = twin(sqliteSchema.bans);
export const allowlist = twin(sqliteSchema.allowlist);
export const outbox = twin(sqliteSchema.outbox);
export const agentCursors = twin(sqliteSchema.agentCursors);
export const agents = twin(sqliteSchema.agents);
