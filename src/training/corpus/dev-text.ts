/**
 * Benign text of developer and content sites: comments and chat in Markdown that quote commands and
 * code (`npm install`, a fenced block), questions that name a function or a clause (`eval()`, `SELECT *`),
 * rich text from an editor (character references, fragment links, colours, relative images, escaped
 * code samples). Such values hold what an analyzer reads as weak evidence, and the generic model must
 * learn from real-looking text that this evidence, in prose, is not an attack.
 */
import type { Faker } from "@faker-js/faker";
import { pick } from "./sample.ts";

/**
 * Commands as prose quotes them in backticks: English words alone (`ls`, `date`). With arguments, or a
 * tool, a backticked command in a sentence stays a command to the model (a shell runs it inside a
 * quoted string too), so no such sample is benign here.
 */
const COMMANDS = ["ls", "date", "sort", "top", "more", "tail", "head", "make", "time", "find", "test", "history"];
/** Lines of a code block that are code, not commands. */
const CODE_LINES = [
  "const total = items.reduce((sum, x) => sum + x.price, 0);", 'print(f"total: {total}")', "return res.json(data);", "for item in items:",
  "if err != nil { return err }", "export default App;", "SELECT name, email FROM users WHERE id = 42;", "npm test", "git status",
];
const MENTIONS = [
  "eval()", "alert()", "setTimeout()", "console.log()", "document.cookie", "window.location", "innerHTML",
  "SELECT *", "GROUP BY", "LEFT JOIN", "useEffect()", "fetch()", "JSON.parse()", "os.system()", "subprocess.run()",
  "exec()", "/etc/hosts", "~/.bashrc", "../config/app.yml", "$HOME",
];
const LANGS = ["bash", "sh", "python", "js", "ts", "sql", "yaml", "diff", "json", "go"];
const ASSETS = ["png", "jpg", "svg", "css", "webp", "md"];

function sentence(f: Faker, r: () => number): string {
  const cmd = () => `\`${pick(r, COMMANDS)}\``;
  const word = () => f.word.noun();
  switch (Math.floor(r() * 13)) {
    case 0: return `Have you tried ${cmd()}? It fixed the ${word()} for me.`;
    case 1: return `Run ${cmd()} and then ${cmd()}.`;
    case 2: return `Use ${cmd()} to check the ${word()}, then restart.`;
    case 3: return `Why is ${pick(r, MENTIONS)} considered ${f.word.adjective()}?`;
    case 4: return `${pick(r, MENTIONS)} not working in ${pick(r, ["Chrome", "Firefox", "Safari", "Node 20", "Python 3.12", "MySQL 8"])}`;
    case 5: return `how to use ${pick(r, MENTIONS)} in ${pick(r, ["javascript", "python", "php", "react", "postgres"])}`;
    case 6: return `Try this:\n\n\`\`\`${pick(r, LANGS)}\n${pick(r, CODE_LINES)}\n${pick(r, CODE_LINES)}\n\`\`\`\n\nThen ${f.lorem.sentence()}`;
    case 7: return `In the ${word()} settings; ${pick(r, ["top", "date", "time", "copy", "find", "sort", "call"])} ${f.number.int(99)} ${f.word.noun()}s ${f.lorem.words(2)}`;
    case 8: return `<p>${f.lorem.sentence()} &copy; ${f.number.int({ min: 1999, max: 2026 })} ${f.company.name()}</p>`;
    case 9: return `<p>See <a href="#${f.lorem.slug(2)}">${f.lorem.words(2)}</a> and <span style="color:${f.color.rgb()}">${word()}</span>.</p>`;
    case 10: return pick(r, [`<img src="../images/${f.lorem.slug(1)}.${pick(r, ASSETS)}" alt="${word()}">`, `[${f.lorem.words(2)}](../../docs/${f.lorem.slug(2)}.md)`]);
    case 11: return stackTrace(f, r);
    default: {
      const tag = pick(r, ["div", "span", "p", "button"]);
      return `<pre><code>&lt;${tag} class="${f.lorem.slug(1)}"&gt;${pick(r, ["Hello", "Save", "Total", "Menu"])}&lt;/${tag}&gt;</code></pre>`;
    }
  }
}

/** An error report's message and stack, as browser error trackers post them. */
function stackTrace(f: Faker, r: () => number): string {
  const file = `https://${f.internet.domainName()}/static/js/${f.lorem.slug(1)}.${f.string.alphanumeric(8)}.js`;
  const frame = () => `    at ${pick(r, ["eval", "Object.<anonymous>", "HTMLButtonElement.onclick", "Array.forEach", "async Promise.all", `${f.word.noun()}Handler`])} (${pick(r, ["<anonymous>", file])}:${f.number.int(999)}:${f.number.int(99)})`;
  const message = pick(r, [`TypeError: Cannot read properties of undefined (reading '${f.word.noun()}')`, `ReferenceError: ${f.word.noun()} is not defined`, `Error: Request failed with status code ${pick(r, [400, 404, 500, 502])}`]);
  return [message, frame(), frame(), frame()].join("\n");
}

/** A parameter of such text: a comment, a message or a search. */
export function devTextParam(f: Faker, r: () => number): [string, string] {
  return [pick(r, ["comment", "body", "text", "message", "q", "content", "description"]), sentence(f, r)];
}
