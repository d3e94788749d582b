/**
 * The SQL words the analyzer knows, each with what it is (a bit set), as MySQL, MSSQL, PostgreSQL,
 * Oracle and SQLite read them. A word not listed is a plain identifier. Lookup is by a hash computed
 * while the tokenizer scans the word, so that no string is built for the many words that are not SQL.
 */
import { lowerAsciiCode } from "../text.ts";

/** What a word is; a word may be several things (`IF` is a statement in MSSQL and a function in MySQL). */
export const W = {
  /** AND OR XOR: joins conditions. */
  LOGIC: 1 << 0,
  NOT: 1 << 1,
  /** Compares: LIKE, RLIKE, REGEXP, SOUNDS, IS, IN, BETWEEN, GLOB. */
  COMPARE: 1 << 2,
  /** A literal value: NULL, TRUE, FALSE. */
  LITERAL: 1 << 3,
  /** Starts a statement that can be stacked after `;`. */
  STATEMENT: 1 << 4,
  /** Any other reserved word of the grammar (UNION, FROM, WHERE, ORDER, BY, INTO, ...). */
  RESERVED: 1 << 5,
  /** Makes the database wait: a blind time-based probe. */
  DELAY_FUNCTION: 1 << 6,
  /** Raises an error that carries data out (error-based extraction). */
  ERROR_FUNCTION: 1 << 7,
  /** Reads or writes server files. */
  FILE_FUNCTION: 1 << 8,
  /** Builds a string from codes or hex: hides the literal an attacker needs. */
  STRING_BUILDER: 1 << 9,
  /** A catalogue of the database's own schema: what an attacker enumerates. */
  CATALOG: 1 << 10,
  /** An MSSQL procedure that reaches the OS, the network or the registry, or runs dynamic SQL. */
  DANGEROUS_PROCEDURE: 1 << 11,
  /** A function that picks by a condition (ELT, MAKE_SET, IIF): carries boolean-blind probes. */
  CONDITION_FUNCTION: 1 << 12,
  /** A function that reads a string piece by piece or a system value (blind extraction). */
  PROBE_FUNCTION: 1 << 13,
  /** A column type name, as in `CONVERT(INT, ...)` and `DECLARE @x VARCHAR(99)`. */
  TYPE: 1 << 14,
  /** What GRANT gives and REVOKE takes: `GRANT connect, resource TO x`. */
  PRIVILEGE: 1 << 15,
  /** Arithmetic spelt as a word (MySQL's DIV and MOD): an operator between operands, and a name elsewhere. */
  ARITHMETIC: 1 << 16,
} as const;

/** What makes a word a keyword of the grammar, not a name: reserved, a statement, a logic or compare word, NOT. */
export const KEYWORD = W.RESERVED | W.STATEMENT | W.LOGIC | W.COMPARE | W.NOT;

const GROUPS: [number, string][] = [
  [W.LOGIC, "and or xor"],
  [W.NOT, "not"],
  [W.COMPARE, "like rlike regexp sounds is in between glob ilike similar"],
  [W.LITERAL, "null true false"],
  [W.STATEMENT, "select insert update delete drop create alter truncate exec execute declare waitfor shutdown set grant revoke replace merge call load handler use backup restore kill dbcc open fetch deallocate prepare if copy"],
  [W.RESERVED, "union all distinct distinctrow top from where having group order by limit offset into outfile dumpfile as on join inner outer left right cross natural case when then else end asc desc procedure table view index trigger function login values delay time begin with nowait rownum dual program mode boolean collate escape except intersect minus notnull isnull analyse to immediate"],
  [W.DELAY_FUNCTION, "sleep benchmark pg_sleep receive_message randomblob"],
  [W.ERROR_FUNCTION, "convert extractvalue updatexml get_host_address utl_inaddr xmltype name_const gtid_subset"],
  [W.FILE_FUNCTION, "load_file pg_read_file pg_ls_dir pg_read_binary_file lo_import lo_export openrowset opendatasource utl_file bulk"],
  [W.STRING_BUILDER, "char chr concat concat_ws unhex hex nchar char_length"],
  [W.CATALOG, "information_schema sysobjects syscolumns sysdatabases sysusers sysprocesses sys sysibm pg_catalog pg_tables pg_user pg_shadow pg_database pg_namespace pg_class pg_stat_activity all_tables all_users all_tab_columns user_tables user_tab_columns dba_users dba_tables sqlite_master sqlite_schema syscat mysql msysobjects mssqlsystemresource"],
  [W.DANGEROUS_PROCEDURE, "xp_cmdshell xp_dirtree xp_fileexist xp_regread xp_regwrite xp_regdeletekey xp_servicecontrol xp_subdirs xp_availablemedia xp_terminate_process xp_makecab xp_ntsec_enumdomains xp_loginconfig xp_enumgroups xp_grantlogin xp_logininfo xp_execresultset xp_msver sp_executesql sp_oacreate sp_oamethod sp_oagetproperty sp_addlogin sp_addsrvrolemember sp_password sp_makewebtask sp_configure sp_execute_external_script sp_addextendedproc sp_dropextendedproc sp_helpdb sp_addlinkedserver sp_who sp_columns sp_tables sp_start_job"],
  [W.CONDITION_FUNCTION, "elt make_set iif if ifnull nullif coalesce decode"],
  [W.PROBE_FUNCTION, "ascii ord substring substr mid left right length count version database user current_user system_user session_user schema banner db_name user_name is_srvrolemember has_dbaccess object_id col_name current_setting pg_backend_pid connection_id last_insert_id row_count found_rows"],
  [W.PRIVILEGE, "all select insert update delete execute exec connect resource dba usage create drop alter file process super references privileges role"],
  [W.ARITHMETIC, "div mod"],
  [W.TYPE, "int integer bigint smallint tinyint varchar nvarchar char nchar text binary varbinary decimal numeric float real double datetime date sysname signed unsigned"],
];

/** A word's hash, as the tokenizer computes it over the characters it scans (ASCII letters folded to lower case). */
export function foldHash(h: number, code: number): number {
  return (Math.imul(h, 31) + lowerAsciiCode(code)) | 0;
}
export const HASH_SEED = 7;

/** Longest word listed: longer words are never looked up. */
export const LONGEST_WORD = 32;

const TABLE_BITS = 11;
const TABLE_MASK = (1 << TABLE_BITS) - 1;
/** Open addressing: slot -> word index + 1 (0 = empty). */
const slots = new Int32Array(1 << TABLE_BITS);
const words: string[] = [];
const flags: number[] = [];

function hashOf(word: string): number {
  let h = HASH_SEED;
  for (let i = 0; i < word.length; i++) h = foldHash(h, word.charCodeAt(i));
  return h;
}

for (const [flag, list] of GROUPS) {
  for (const word of list.split(" ")) {
    const known = lookupWord(word, 0, word.length, hashOf(word));
    if (known >= 0) {
      flags[known]! |= flag;
      continue;
    }
    let slot = hashOf(word) & TABLE_MASK;
    while (slots[slot] !== 0) slot = (slot + 1) & TABLE_MASK;
    words.push(word);
    flags.push(flag);
    slots[slot] = words.length;
  }
}

/** The index of text[start, end) among the known words (case-insensitive), or -1; `hash` is its foldHash. */
export function lookupWord(text: string, start: number, end: number, hash: number): number {
  const length = end - start;
  let slot = hash & TABLE_MASK;
  for (;;) {
    const entry = slots[slot]!;
    if (entry === 0) return -1;
    const word = words[entry - 1]!;
    if (word.length === length && sameFolded(word, text, start)) return entry - 1;
    slot = (slot + 1) & TABLE_MASK;
  }
}

/** Can a known word have this hash? (Most words' slots are empty: no string need be built to look them up.) */
export function mayBeWord(hash: number): boolean {
  return slots[hash & TABLE_MASK] !== 0;
}

function sameFolded(word: string, text: string, start: number): boolean {
  for (let i = 0; i < word.length; i++) {
    if (lowerAsciiCode(text.charCodeAt(start + i)) !== word.charCodeAt(i)) return false;
  }
  return true;
}

export function wordFlags(index: number): number {
  return index < 0 ? 0 : flags[index]!;
}

export function wordText(index: number): string {
  return words[index] ?? "";
}

/** The index of a known word, for rules that name one (`wordIndex("union")`). */
export function wordIndex(word: string): number {
  const index = lookupWord(word, 0, word.length, hashOf(word));
  if (index < 0) throw new Error(`not a known SQL word: ${word}`);
  return index;
}
