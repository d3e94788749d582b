/**
 * The names that make a JavaScript construct dangerous: what injected script calls to prove itself
 * (dialogs), to run a string as code (eval and its relatives), and the page state it steals or
 * steers (sinks). Kept apart from the check so the sets can be read and extended in one place.
 */

/** Calls an injection uses to show it ran. */
export const DIALOG_CALLS = new Set(["alert", "prompt", "confirm"]);

/** Calls that run a string as code or load code. */
export const EVAL_CALLS = new Set(["eval", "Function", "execScript", "importScripts", "setImmediate", "globalEval"]);

/** Timers run a string argument as code (a function argument is ordinary). */
export const TIMER_CALLS = new Set(["setTimeout", "setInterval"]);

/** Members that write markup into the page. */
export const WRITE_CALLS = new Set(["write", "writeln"]);

/** A property reached through a computed member (`x['...']`) that is worth hiding. */
export const SENSITIVE_MEMBERS = new Set([
  ...DIALOG_CALLS, ...EVAL_CALLS, ...TIMER_CALLS, ...WRITE_CALLS,
  "constructor", "cookie", "location", "domain", "innerHTML", "outerHTML", "insertAdjacentHTML", "fetch", "sendBeacon", "atob", "fromCharCode",
]);

/** The global objects a computed lookup of a global starts from. */
export const GLOBAL_OBJECTS = new Set(["window", "self", "top", "parent", "frames", "globalThis", "this", "document", "content", "opener"]);

/** Values an attacker sets from outside the page (the URL, the window's name, the referrer): code built from them is DOM XSS. */
export const URL_SOURCES = new Set(["location", "URL", "documentURI", "baseURI", "referrer", "name", "hash", "search", "href"]);

/** Members that call a function with the arguments a tagged template gives: `Reflect.apply.call`${f}${x}``. */
export const INDIRECT_CALLS = new Set(["call", "apply", "bind"]);

/** `document.<x>` reads and writes that steal or steer the page. */
export const DOCUMENT_SINKS = new Set(["cookie", "location", "domain", "URL", "documentURI", "referrer"]);

/**
 * Names that send a value off the page: a request (`fetch`, `sendBeacon`, an `Image`'s `src`), a
 * navigation (`location`, `open`) or a form. The page's cookie handed to one of them is stolen.
 */
export const SENDING_NAMES = new Set(["fetch", "sendBeacon", "XMLHttpRequest", "send", "open", "Image", "src", "href", "location", "action", "submit", "WebSocket", "EventSource", "ajax", "getJSON", "postMessage"]);

/** Assigning these runs or loads code: `x.innerHTML = ...`, `location.href = ...`. */
export const ASSIGN_SINKS = new Set(["innerHTML", "outerHTML", "location", "href", "src", "srcdoc", "onerror", "onload"]);
