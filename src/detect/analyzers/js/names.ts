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

/** Calls (and constructors) that send their arguments off the page: the page's cookie handed to one is stolen. */
export const SENDING_CALLS = new Set(["fetch", "sendBeacon", "open", "send", "postMessage", "Image", "WebSocket", "EventSource", "XMLHttpRequest", "ajax", "get", "post", "getJSON", "importScripts"]);

/** Assigning these navigates or loads: a cookie in the value assigned is sent where it points. */
export const SENDING_TARGETS = new Set(["src", "href", "location", "action"]);

/** Assigning these runs or loads code: `x.innerHTML = ...`, `location.href = ...`. */
export const ASSIGN_SINKS = new Set(["innerHTML", "outerHTML", "location", "href", "src", "srcdoc", "onerror", "onload"]);
