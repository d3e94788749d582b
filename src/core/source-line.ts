/** One line of a source (a log, a file, stdin), without its line ending: what parsers read. */
export interface SourceLine {
  text: string;
  source: string;
  /** 1-based line number. */
  line: number;
  /** Byte offset of the line's first byte. */
  offset: number;
  /** Set when the line was longer than the limit: its real length in bytes. `text` holds only the start. */
  tooLong?: number;
}
