// ES module resolution through NODE_PATH, as AWS's Node.js runtimes do since nodejs18.x: a bare
// `import "pkg"` that Node's own resolution (node_modules up from the importer) does not find
// is looked for in NODE_PATH's `node_modules` directories, in order: the function's packages,
// its layers' (`/opt/nodejs/node<major>/node_modules`, `/opt/nodejs/node_modules`) and the
// runtime's AWS SDK. CommonJS `require` reads NODE_PATH itself.
//
// Used in-thread through `module.registerHooks` where Node has it (22.15 and later: free),
// else as `module.register`'s hooks module (Node 20: a thread of its own, ~50 ms of the cold
// start, paid only by functions that have such directories).

import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

let directories = [];

/** NODE_PATH's `node_modules` directories that exist. */
export function searched(nodePath = process.env.NODE_PATH ?? "") {
  return nodePath
    .split(path.delimiter)
    .filter((dir) => dir && path.basename(dir) === "node_modules" && fs.existsSync(dir));
}

function packageName(specifier) {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

function isBare(specifier) {
  return !/^(?:[./]|[a-z][a-z0-9+.-]*:)/i.test(specifier);
}

/** Where to resolve `specifier` from instead: a file beside the first directory that holds
 * its package (resolving up from there finds that directory first), or undefined. */
function parentFor(specifier) {
  if (!isBare(specifier)) return undefined;
  const name = packageName(specifier);
  for (const dir of directories) {
    if (fs.existsSync(path.join(dir, name))) {
      return pathToFileURL(path.join(path.dirname(dir), "[lambdactl-node-path].mjs")).href;
    }
  }
  return undefined;
}

function notFound(error) {
  return error?.code === "ERR_MODULE_NOT_FOUND";
}

/** `module.register`'s hooks. */
export function initialize(data) {
  directories = data?.directories ?? [];
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const parentURL = notFound(error) ? parentFor(specifier) : undefined;
    if (parentURL === undefined) throw error;
    return nextResolve(specifier, { ...context, parentURL });
  }
}

/** `module.registerHooks`'s (synchronous) hooks. */
export function syncHooks(dirs) {
  directories = dirs;
  return {
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context);
      } catch (error) {
        const parentURL = notFound(error) ? parentFor(specifier) : undefined;
        if (parentURL === undefined) throw error;
        return nextResolve(specifier, { ...context, parentURL });
      }
    },
  };
}
