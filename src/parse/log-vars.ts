/** A log line's values by nginx variable name (`remote_addr`, `time_local`, ...): what every log parser produces first. */
export type LogVars = Record<string, string>;
