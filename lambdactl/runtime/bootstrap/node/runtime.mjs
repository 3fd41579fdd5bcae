// lambdactl's Node.js runtime client: Node's own modules only. It runs inside the execution
// environment, as AWS's (aws-lambda-nodejs-runtime-interface-client) does in theirs, and
// speaks the Runtime API to lambdactl's server:
//
//     node runtime.mjs HANDLER      (AWS_LAMBDA_RUNTIME_API=host:port, cwd = the code)
//
// What users can observe follows AWS's client: handler resolution (`dir/file.export`, `.js`
// `.mjs` `.cjs`, ESM where package.json says "type": "module"), the error payloads
// ({errorType, errorMessage, trace}), the context object, callbacks (up to nodejs22.x) with
// callbackWaitsForEmptyEventLoop, console lines in the text and JSON log formats, and exit
// codes (129 after an uncaught exception, 128 after an unhandled rejection), and response
// streaming (the `awslambda` global: streamifyResponse, HttpResponseStream).

import fs from "node:fs";
import http from "node:http";
import module, { createRequire } from "node:module";
import path from "node:path";
import { Writable } from "node:stream";
import { pathToFileURL } from "node:url";
import util from "node:util";
import { searched, syncHooks } from "./resolve.mjs";

const API = process.env.AWS_LAMBDA_RUNTIME_API;
const HANDLER = process.argv[2] ?? process.env._HANDLER;
const TASK_ROOT = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
const RUNTIME = (process.env.AWS_EXECUTION_ENV ?? "").replace(/^AWS_Lambda_/, "");
const MAJOR = Number.parseInt(RUNTIME.replace(/^nodejs/, ""), 10);
const CALLBACKS = !(MAJOR >= 24); // nodejs24.x dropped callback handlers
const commonJsRequire = createRequire(import.meta.url);

// -- errors --------------------------------------------------------------------------------

function runtimeError(name) {
  const cls = class extends Error {};
  Object.defineProperty(cls, "name", { value: name });
  cls.prototype.name = `Runtime.${name}`;
  return cls;
}

const ImportModuleError = runtimeError("ImportModuleError");
const HandlerNotFound = runtimeError("HandlerNotFound");
const MalformedHandlerName = runtimeError("MalformedHandlerName");
const UserCodeSyntaxError = runtimeError("UserCodeSyntaxError");
const CallbackHandlerDeprecated = runtimeError("CallbackHandlerDeprecated");

class UnhandledPromiseRejection extends Error {
  constructor(reason, promise) {
    super(reason);
    this.reason = reason;
    this.promise = promise;
  }
}
UnhandledPromiseRejection.prototype.name = "Runtime.UnhandledPromiseRejection";

function isError(value) {
  return (
    value &&
    typeof value.name === "string" &&
    typeof value.message === "string" &&
    typeof value.stack === "string"
  );
}

/** What the Runtime API is told of an error: AWS's {errorType, errorMessage, trace}. */
function toRapidResponse(error) {
  try {
    if (util.types.isNativeError(error) || isError(error)) {
      return {
        errorType: error.name?.replace(/\x7F/g, "%7F"),
        errorMessage: error.message?.replace(/\x7F/g, "%7F"),
        trace: error.stack.replace(/\x7F/g, "%7F").split("\n"),
      };
    }
    return { errorType: typeof error, errorMessage: error.toString(), trace: [] };
  } catch {
    return {
      errorType: "handled",
      errorMessage:
        "callback called with Error argument, but there was a problem while retrieving one " +
        "or more of its message, name, and stack",
    };
  }
}

function withEnumerableProperties(error) {
  if (error instanceof Error) {
    const shown = Object.assign(
      { errorType: error.name, errorMessage: error.message, code: error.code },
      error,
    );
    if (typeof error.stack === "string") shown.stack = error.stack.split("\n");
    return shown;
  }
  return error;
}

/** An error as the log shows it after "Invoke Error" and the like. */
function toFormatted(error) {
  try {
    return "\t" + JSON.stringify(error, (_key, value) => withEnumerableProperties(value));
  } catch {
    return "\t" + JSON.stringify(toRapidResponse(error));
  }
}

// -- logs ------------------------------------------------------------------------------------

const LEVELS = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, FATAL: 5 };
const JSON_FORMAT = process.env.AWS_LAMBDA_LOG_FORMAT === "JSON";
let currentRequestId; // undefined during init, as AWS's log lines show it

function errorReplacer(_key, value) {
  if (value instanceof Error) {
    return Object.assign(
      {
        errorType: value?.constructor?.name ?? "UnknownError",
        errorMessage: value.message,
        stackTrace: typeof value.stack === "string" ? value.stack.split("\n") : value.stack,
      },
      value,
    );
  }
  return value;
}

function jsonLine(level, params) {
  const record = { timestamp: new Date().toISOString(), level, requestId: currentRequestId };
  if (params.length === 1) {
    record.message = params[0];
    try {
      return JSON.stringify(record, errorReplacer);
    } catch {
      record.message = util.format(record.message);
      return JSON.stringify(record);
    }
  }
  record.message = util.format(...params);
  for (const param of params) {
    if (param instanceof Error) {
      record.errorType = param?.constructor?.name ?? "UnknownError";
      record.errorMessage = param.message;
      record.stackTrace = typeof param.stack === "string" ? param.stack.split("\n") : [];
      break;
    }
  }
  return JSON.stringify(record);
}

function writeLine(level, params) {
  let line;
  if (JSON_FORMAT) {
    line = jsonLine(level, params);
  } else {
    const message = util.format(...params);
    line = `${new Date().toISOString()}\t${currentRequestId}\t${level}\t${message}`;
  }
  // One line per call: a multi-line message stays one log event, as on AWS.
  fs.writeSync(1, line.replace(/\n/g, "\r") + "\n");
}

function patchConsole() {
  const wanted = JSON_FORMAT ? (LEVELS[process.env.AWS_LAMBDA_LOG_LEVEL] ?? 0) : 0;
  const methods = {
    trace: "TRACE",
    debug: "DEBUG",
    info: "INFO",
    log: "INFO",
    warn: "WARN",
    error: "ERROR",
    fatal: "FATAL",
  };
  for (const [method, level] of Object.entries(methods)) {
    console[method] = LEVELS[level] >= wanted ? (...params) => writeLine(level, params) : () => {};
  }
}

/** An error the runtime reports in the log: `<what> \t{...}` in text, in JSON the error
 * itself as the record's message (errorType, errorMessage, stackTrace and its own fields). */
function logError(what, error) {
  if (JSON_FORMAT) console.error(error);
  else console.error(what, toFormatted(error));
}

// -- the Runtime API -------------------------------------------------------------------------

// Any number of connections: an error posted while `/next` waits needs one of its own.
const agent = new http.Agent({ keepAlive: true });
const [HOST, PORT] = API.split(":");

function request(method, urlPath, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: HOST, port: Number(PORT), method, path: urlPath, agent, headers },
      (res) => {
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (body !== undefined) {
      req.setHeader("Content-Length", Buffer.byteLength(body));
      req.end(body);
    } else {
      req.end();
    }
  });
}

async function postError(urlPath, error) {
  const response = toRapidResponse(error);
  await request("POST", urlPath, JSON.stringify(response), {
    "Content-Type": "application/json",
    "Lambda-Runtime-Function-Error-Type": response.errorType,
  });
}

function postInitError(error) {
  return postError("/2018-06-01/runtime/init/error", error);
}

function postInvocationError(error, id) {
  return postError(`/2018-06-01/runtime/invocation/${id}/error`, error);
}

function postInvocationResponse(result, id) {
  let body;
  try {
    body = JSON.stringify(result === undefined ? null : result);
  } catch {
    return postInvocationError(new Error("Unable to stringify response body"), id);
  }
  return request("POST", `/2018-06-01/runtime/invocation/${id}/response`, body, {
    "Content-Type": "application/json",
  });
}

// -- loading the handler ---------------------------------------------------------------------

function moduleRootAndHandler(fullHandler) {
  const handlerString = path.basename(fullHandler);
  return [fullHandler.substring(0, fullHandler.indexOf(handlerString)), handlerString];
}

function splitHandlerString(handler) {
  const match = handler.match(/^([^.]*)\.(.*)$/);
  if (!match || match.length !== 3) throw new MalformedHandlerName("Bad handler");
  return [match[1], match[2]];
}

function resolveHandler(object, nestedProperty) {
  return nestedProperty.split(".").reduce((nested, key) => nested && nested[key], object);
}

function hasPackageJsonTypeModule(file) {
  // The nearest package.json up from the module decides, as Node's own resolution does.
  let dir = path.dirname(file);
  for (;;) {
    const candidate = path.join(dir, "package.json");
    if (fs.existsSync(candidate)) {
      try {
        return JSON.parse(fs.readFileSync(candidate, "utf8"))?.type === "module";
      } catch {
        return false;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return false;
    dir = parent;
  }
}

function tryRequireFile(file, extension = "") {
  const candidate = file + extension;
  return fs.existsSync(candidate) ? commonJsRequire(candidate) : undefined;
}

async function tryAwaitImport(file, extension = "") {
  const candidate = file + extension;
  return fs.existsSync(candidate) ? await import(pathToFileURL(candidate).href) : undefined;
}

async function tryRequire(appRoot, moduleRoot, module) {
  const lambdaStylePath = path.resolve(appRoot, moduleRoot, module);
  const extensionless = fs.existsSync(lambdaStylePath) && fs.statSync(lambdaStylePath).isFile();
  if (extensionless) return tryRequireFile(lambdaStylePath);
  const esm = hasPackageJsonTypeModule(lambdaStylePath);
  if (!esm) {
    const loaded = tryRequireFile(lambdaStylePath, ".js");
    if (loaded) return loaded;
  }
  const loaded =
    (esm && (await tryAwaitImport(lambdaStylePath, ".js"))) ||
    (await tryAwaitImport(lambdaStylePath, ".mjs")) ||
    tryRequireFile(lambdaStylePath, ".cjs");
  if (loaded) return loaded;
  // Not a file of the code: a package (node_modules), resolved from the code, not from here.
  return commonJsRequire(commonJsRequire.resolve(module, { paths: [appRoot, moduleRoot] }));
}

async function loadUserApp(appRoot, moduleRoot, module) {
  try {
    return await tryRequire(appRoot, moduleRoot, module);
  } catch (e) {
    if (e instanceof SyntaxError) throw new UserCodeSyntaxError(e);
    // CommonJS's code only: an ES module's missing import (ERR_MODULE_NOT_FOUND) stays an
    // `Error`, as AWS's "Cannot find package 'x' imported from /var/task/index.mjs".
    if (e.code === "MODULE_NOT_FOUND") throw new ImportModuleError(e);
    throw e;
  }
}

async function load(appRoot, fullHandler) {
  if (fullHandler.includes("..")) {
    throw new MalformedHandlerName(
      `'${fullHandler}' is not a valid handler name. Use absolute paths when specifying ` +
        "root directories in handler names.",
    );
  }
  const [moduleRoot, moduleAndHandler] = moduleRootAndHandler(fullHandler);
  const [module, handlerPath] = splitHandlerString(moduleAndHandler);
  const userApp = await loadUserApp(appRoot, moduleRoot, module);
  const handler = resolveHandler(userApp, handlerPath);
  if (!handler) throw new HandlerNotFound(`${fullHandler} is undefined or not exported`);
  if (typeof handler !== "function") throw new HandlerNotFound(`${fullHandler} is not a function`);
  // nodejs24.x judges by the declared parameters alone: three make a callback handler.
  if (!CALLBACKS && handler.length >= 3 && !isStreaming(handler)) {
    throw new CallbackHandlerDeprecated(
      "ERROR: AWS Lambda has removed support for callback-based function handlers starting " +
        "with Node.js 24. You need to modify this function to use a supported handler " +
        "signature to use Node.js 24 or later. For more information see " +
        "https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.",
    );
  }
  return handler;
}

// -- response streaming ----------------------------------------------------------------------

// The marks streamifyResponse leaves on a handler (the keys AWS's client reads them by).
const STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming");
const HIGH_WATER_MARK = Symbol.for("aws.lambda.runtime.handler.streaming.highWaterMark");
const STREAM_RESPONSE = "response";
const HTTP_INTEGRATION_RESPONSE = "application/vnd.awslambda.http-integration-response";
const ERROR_TRAILERS = ["Lambda-Runtime-Function-Error-Type", "Lambda-Runtime-Function-Error-Body"];

function isStreaming(handler) {
  return handler?.[STREAMING] === STREAM_RESPONSE;
}

class InvalidStreamingOperation extends Error {}
InvalidStreamingOperation.prototype.name = "Runtime.InvalidStreamingOperation";

/** `awslambda.HttpResponseStream`: a function URL's status, headers and cookies, sent as a
 * JSON prelude and 8 NUL bytes before the body's first byte. */
class HttpResponseStream {
  static from(responseStream, prelude) {
    responseStream.setContentType(HTTP_INTEGRATION_RESPONSE);
    const metadata = JSON.stringify(prelude); // JSON: no NUL byte can end it early
    responseStream._onBeforeFirstWrite = (write) => {
      write(metadata);
      write(new Uint8Array(8));
    };
    return responseStream;
  }
}

/** The `awslambda` global AWS's Node runtimes define before loading the handler, unless
 * AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA is 1 or true. */
function defineGlobals() {
  const optOut = process.env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA;
  if (optOut === "1" || optOut === "true") return;
  globalThis.awslambda = {
    ...globalThis.awslambda,
    streamifyResponse(handler, options) {
      handler[STREAMING] = STREAM_RESPONSE;
      if (typeof options?.highWaterMark === "number") {
        handler[HIGH_WATER_MARK] = Number.parseInt(String(options.highWaterMark), 10);
      }
      return handler;
    },
    HttpResponseStream,
  };
}

/** The response stream a streaming handler writes to: one chunked `POST .../response` in the
 * Runtime API's streaming mode, its headers sent with the first byte (or at the end). An
 * error ends it with AWS's error trailers. `done` settles once the Runtime API answered. */
function responseStream(id, highWaterMark) {
  let started = false;
  let settle;
  const done = new Promise((resolve, reject) => {
    settle = { resolve, reject };
  });
  const req = http.request({
    host: HOST,
    port: Number(PORT),
    method: "POST",
    path: `/2018-06-01/runtime/invocation/${id}/response`,
    agent,
    headers: {
      "Lambda-Runtime-Function-Response-Mode": "streaming",
      "Transfer-Encoding": "chunked",
      Trailer: ERROR_TRAILERS.join(", "),
      "Content-Type": "application/octet-stream",
    },
  });
  req.on("response", (res) => {
    res.resume();
    res.on("end", () => settle.resolve(res.statusCode));
    res.on("error", settle.reject);
  });
  req.on("error", settle.reject);
  const stream = new Writable({
    highWaterMark,
    write(chunk, _encoding, callback) {
      if (req.write(chunk)) callback();
      else req.once("drain", () => callback());
    },
    final(callback) {
      req.end(() => callback());
    },
  });
  const write = stream.write.bind(stream);
  stream.write = (chunk, encoding, callback) => {
    // AWS's stream takes any value: what is not text or bytes is written as its JSON.
    if (typeof chunk !== "string" && !Buffer.isBuffer(chunk) && !(chunk instanceof Uint8Array)) {
      chunk = JSON.stringify(chunk);
    }
    if (!started && typeof stream._onBeforeFirstWrite === "function") {
      started = true;
      stream._onBeforeFirstWrite((first) => write(first));
    }
    started = true;
    return write(chunk, encoding, callback);
  };
  stream.setContentType = (contentType) => {
    if (started) throw new InvalidStreamingOperation("Cannot set content-type, too late.");
    req.setHeader("Content-Type", contentType);
  };
  const fail = (error) => {
    logError("Invoke Error", error);
    if (req.writableEnded) return;
    const payload = toRapidResponse(error);
    req.addTrailers({
      [ERROR_TRAILERS[0]]: payload.errorType,
      [ERROR_TRAILERS[1]]: Buffer.from(JSON.stringify(payload)).toString("base64"),
    });
    req.end();
  };
  return { stream, done, fail };
}

/** One invocation of a streamified handler, as AWS's client runs it: `handler(event,
 * responseStream, context)` must return a promise; the response is what it wrote, complete
 * once the stream has ended; an error (thrown, rejected, or the stream left open) ends the
 * stream with the error in its trailers. */
async function invokeStreaming(runtime, headers, body, id, scheduleNext) {
  const { stream, done, fail } = responseStream(id, runtime.handler[HIGH_WATER_MARK]);
  let finished = false;
  const finish = (error) => {
    if (finished) return;
    finished = true;
    beforeExit = null;
    if (error !== undefined) fail(error);
    done.then(scheduleNext, fatal);
  };
  // Left open with nothing more to run: AWS's client fails the invocation.
  beforeExit = () => finish("Response stream is not finished.");
  try {
    const event = JSON.parse(body.toString("utf8") || "null");
    const context = CALLBACKS
      ? contextOf(headers, { callbackWaitsForEmptyEventLoop: true })
      : contextOf(headers, {
          xRayTraceId: headers["lambda-runtime-trace-id"],
          tenantId: headers["lambda-runtime-aws-tenant-id"],
        });
    const result = runtime.handler(event, stream, context);
    if (!result || typeof result.then !== "function") {
      finish("Streaming does not support non-async handlers.");
      return;
    }
    if ((await result) !== undefined) console.warn("Streaming handlers ignore return values.");
    if (!stream.writableFinished) {
      await new Promise((resolve) => {
        stream.once("finish", resolve);
        stream.once("error", resolve);
      });
      if (!stream.writableFinished) {
        finish(stream.errored ?? "Response stream is not finished.");
        return;
      }
    }
    finish();
  } catch (error) {
    finish(error);
  }
}

// -- the invocation loop ---------------------------------------------------------------------

let onUncaught = async (error) => {
  await postInitError(error).catch(() => {});
  process.exit(129);
};
let onRejection = async (error) => {
  await postInitError(error).catch(() => {});
  process.exit(128);
};
let beforeExit = null; // what to do once the event loop is empty (callbacks' default wait)

process.on("uncaughtException", (error) => {
  logError("Uncaught Exception", error);
  onUncaught(error);
});
process.on("unhandledRejection", (reason, promise) => {
  const wrapped = new UnhandledPromiseRejection(reason?.toString(), promise);
  logError("Unhandled Promise Rejection", wrapped);
  onRejection(wrapped);
});
process.on("beforeExit", () => {
  const action = beforeExit;
  beforeExit = null;
  if (action) action();
});

function parseHeaderJson(value) {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

function contextOf(headers, callbackContext) {
  const deadline = Number(headers["lambda-runtime-deadline-ms"]);
  return Object.assign(callbackContext, {
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: parseHeaderJson(headers["lambda-runtime-client-context"]),
    identity: parseHeaderJson(headers["lambda-runtime-cognito-identity"]),
    invokedFunctionArn: headers["lambda-runtime-invoked-function-arn"],
    awsRequestId: headers["lambda-runtime-aws-request-id"],
    getRemainingTimeInMillis: () => deadline - Date.now(),
  });
}

/** The callback and the context's callback half (done/succeed/fail), as AWS's client builds
 * them: one completion per invocation, the response held until the event loop is empty
 * unless callbackWaitsForEmptyEventLoop is false. */
function callbacks(id, next) {
  let completed = false;
  let waitForEmptyEventLoop = true;
  const complete = (result) => {
    if (completed) {
      console.error(
        "Invocation has already been reported as done. Cannot call complete more than once " +
          "per invocation.",
      );
      return;
    }
    completed = true;
    postInvocationResponse(result, id).then(next, fatal);
  };
  const failed = (error) => {
    if (completed) return;
    completed = true;
    logError("Invoke Error", error);
    postInvocationError(error, id).then(next, fatal);
  };
  const callback = (error, result) => {
    beforeExit = null;
    if (error !== undefined && error !== null) {
      failed(error);
    } else if (!waitForEmptyEventLoop) {
      complete(result);
    } else {
      beforeExit = () => setImmediate(() => complete(result));
    }
  };
  const done = (error, result) => {
    waitForEmptyEventLoop = false;
    callback(error, result);
  };
  const context = {
    get callbackWaitsForEmptyEventLoop() {
      return waitForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      waitForEmptyEventLoop = value;
    },
    succeed: (result) => done(null, result),
    fail: (error) => done(error === undefined || error === null ? "handled" : error, null),
    done,
  };
  // Only the first of callback/succeed/fail/done counts; later calls are ignored, silently.
  let finished = false;
  const once =
    (toWrap) =>
    (...args) => {
      if (!finished) {
        finished = true;
        toWrap(...args);
      }
    };
  context.succeed = once(context.succeed);
  context.fail = once(context.fail);
  context.done = once(context.done);
  return [once(callback), context, () => completed];
}

function fatal(error) {
  console.log(`Unexpected Top Level Error: ${error}`);
  process.exit(129);
}

// AWS's client calls the handler as a method of its Runtime object: the handler's frame in a
// trace reads `Runtime.handler` (`Runtime.exports.handler` for CommonJS), as on AWS.
class Runtime {
  constructor(handler) {
    this.handler = handler;
  }
}

async function invokeOnce(runtime) {
  const next = await request("GET", "/2018-06-01/runtime/invocation/next");
  if (next.status < 200 || next.status > 299) {
    throw new Error(`Failed to get next invocation: ${next.status}`);
  }
  const headers = next.headers;
  const id = headers["lambda-runtime-aws-request-id"];
  currentRequestId = id;
  if (headers["lambda-runtime-trace-id"]) {
    process.env._X_AMZN_TRACE_ID = headers["lambda-runtime-trace-id"];
  } else {
    delete process.env._X_AMZN_TRACE_ID;
  }
  const scheduleNext = () => setImmediate(() => invokeOnce(runtime).catch(fatal));
  onUncaught = async (error) => {
    await postInvocationError(error, id).catch(() => {});
    process.exit(129);
  };
  onRejection = async (error) => {
    await postInvocationError(error, id).catch(() => {});
    process.exit(128);
  };
  if (isStreaming(runtime.handler)) {
    await invokeStreaming(runtime, headers, next.body, id, scheduleNext);
    return;
  }
  const [callback, callbackContext, isCompleted] = callbacks(id, scheduleNext);
  // A handler that ends without answering (no callback, no promise): `null`, once the event
  // loop is empty, as on AWS.
  beforeExit = () => {
    if (!isCompleted()) callbackContext.succeed(null);
  };
  try {
    const event = JSON.parse(next.body.toString("utf8") || "null");
    // nodejs24.x's client (v4) left done/succeed/fail and callbackWaitsForEmptyEventLoop out
    // of the context and added the trace id and tenant id.
    const context = CALLBACKS
      ? contextOf(headers, callbackContext)
      : contextOf(headers, {
          xRayTraceId: headers["lambda-runtime-trace-id"],
          tenantId: headers["lambda-runtime-aws-tenant-id"],
        });
    const result = CALLBACKS
      ? runtime.handler(event, context, callback)
      : runtime.handler(event, context);
    if (result && typeof result.then === "function") {
      Promise.resolve(result)
        .then(callbackContext.succeed, callbackContext.fail)
        .catch(callbackContext.fail);
    } else if (!CALLBACKS) {
      callbackContext.succeed(result);
    }
  } catch (error) {
    callback(error);
  }
}

/** ES module imports search NODE_PATH's node_modules directories, as on AWS (resolve.mjs). */
function resolveThroughNodePath() {
  const directories = searched();
  if (directories.length === 0) return;
  if (typeof module.registerHooks === "function") {
    module.registerHooks(syncHooks(directories));
  } else {
    module.register(new URL("./resolve.mjs", import.meta.url), { data: { directories } });
  }
}

async function main() {
  patchConsole();
  resolveThroughNodePath();
  defineGlobals();
  let handler;
  try {
    handler = await load(TASK_ROOT, HANDLER);
  } catch (error) {
    logError(CALLBACKS ? "Uncaught Exception" : "Init Error", error); // nodejs24.x's client
    await postInitError(error).catch(() => {});
    process.exit(129);
  }
  await invokeOnce(new Runtime(handler));
}

main().catch(fatal);
