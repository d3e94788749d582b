/**
 * Where a worker's module is. From source: the file beside the module that starts it. In the single
 * executable (package.json's build lists every worker as an entry point of its own), the bundle runs
 * from Bun's embedded file system, where a worker is found by its path from the project's root.
 */
export function workerModule(callerUrl: string, pathFromRoot: string): string {
  if (callerUrl.startsWith("file:///$bunfs/")) return `./${pathFromRoot}`;
  return new URL(`./${pathFromRoot.slice(pathFromRoot.lastIndexOf("/") + 1)}`, callerUrl).href;
}
