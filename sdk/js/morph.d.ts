/**
 * Types of Morph's host API for JavaScript and TypeScript extensions
 * (`runtime: js`): the global, frozen `morph` object, and the functions an
 * extension's entry module exports.
 *
 * Every `morph.*` function is synchronous and goes through Morph's
 * capability broker, which checks the extension's permissions, budgets and
 * `allowed_hosts` and writes an audit record. A refused or failed call
 * throws a {@link Morph.CapabilityError} (an `Error` with a stable `code` and
 * the `capability`'s wire name) that the extension may catch; one left
 * uncaught ends the call with that code. Limits hit during a call
 * (`timeout`, `output_too_large`) end it without a catchable error.
 *
 * Every function takes one of two spellings, decided by its arguments:
 *
 * - **the wire request**: exactly one argument, a plain object (not an array
 *   or a function), sent to the broker as it is:
 *   `morph.http.fetch({ url, method: "POST" })`,
 *   `morph.vault.get({ key: "token" })`;
 * - **its parameters**, positional in the order shown here (the same order as
 *   Python's `morph`), `undefined` or `null` leaving a field out:
 *   `morph.http.fetch(url, "POST")`, `morph.events.emit("done", "warn")`. For
 *   `http.fetch`, `data.createTask` and `data.updateTask` an object in second
 *   place holds the remaining fields by name, as Python's keyword arguments
 *   do: `morph.http.fetch(url, { method: "POST", body })`,
 *   `morph.data.updateTask(id, { status: "done" })`.
 *
 * Nothing is guessed: an object where a string goes
 * (`morph.http.fetch({ url }, "POST")`) is sent as that field and refused.
 * A malformed request (a field missing, unknown or of the wrong type, or a
 * value that is not JSON) throws `invalid_request` naming the capability and
 * the field; uncaught, it fails the call (exit code 1 from `morph run`).
 * `morph.invoke` calls any capability by wire name.
 *
 * Keep this file beside your entry (`morph new --lang ts` and
 * `--lang js` do) so editors and `tsc --noEmit` find it; Morph itself never
 * reads it and needs no TypeScript compiler: `.ts` modules are loaded with
 * their types stripped. The web globals (`fetch`, `URL`, `URLSearchParams`,
 * `TextEncoder`, `btoa`, `console`, `setTimeout`, `crypto`, ...) are typed by
 * TypeScript's own `dom` library (`"lib": ["es2022", "dom"]`).
 */

declare namespace Morph {
  /** A JSON value: what crosses between the extension and the host. */
  type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

  /** A JSON object. */
  type JsonObject = { [key: string]: Json };

  /** A log or event level. */
  type Level = "debug" | "info" | "warn" | "error";

  /** Morph's stable error codes (`Error.code`). */
  type ErrorCode =
    | "invalid_manifest"
    | "invalid_package"
    | "signature_invalid"
    | "unsigned_package"
    | "untrusted_publisher"
    | "runtime_unavailable"
    | "unknown_extension"
    | "unknown_action"
    | "invalid_params"
    | "init_failed"
    | "permission_denied"
    | "host_not_allowed"
    | "rate_limited"
    | "timeout"
    | "memory_limit"
    | "stack_overflow"
    | "output_too_large"
    | "quota_exceeded"
    | "guest_error"
    | "guest_crash"
    | "capability_failed"
    | "unknown_capability"
    | "invalid_request"
    | "extension_quarantined"
    | "cancelled"
    | "io"
    | "internal";

  /**
   * What a refused or failed `morph.*` call throws: `permission_denied`
   * (the manifest does not ask for the permission), `host_not_allowed`
   * (not in `allowed_hosts`), `rate_limited` (a budget such as
   * `max_http_requests` is spent), `invalid_request` (a malformed request:
   * the message names the capability and the field),
   * `quota_exceeded` (a write past `max_files`, `max_storage_mb`,
   * `max_tasks` or `max_vault_entries`, or an event past `max_events`:
   * nothing was stored), `capability_failed` (the provider failed), ...
   */
  interface CapabilityError extends Error {
    /** The stable code. */
    readonly code: ErrorCode;
    /** The wire name of the capability called, e.g. `http.fetch`. */
    readonly capability: string;
  }

  /** `GET`, `HEAD`, `POST`, `PUT`, `PATCH`, `DELETE` or `OPTIONS` (any case). */
  type HttpMethod = string;

  /** How a body or file content string is encoded. */
  type Encoding = "utf8" | "base64";

  /** `morph.http.fetch`'s options. */
  interface HttpOptions {
    /** Default `GET`, which needs `http:read` (as `HEAD` does); every other method needs `http:write`. */
    method?: HttpMethod;
    /** Request headers. */
    headers?: Record<string, string>;
    /** The request body. */
    body?: string;
    /** How `body` is encoded: `utf8` (default) or `base64` for bytes. */
    body_encoding?: Encoding;
  }

  /** `morph.http.fetch`'s request. */
  interface HttpRequest extends HttpOptions {
    /** An absolute `http` or `https` URL whose host is in `allowed_hosts`. */
    url: string;
  }

  /** What `morph.http.fetch` returns (any status: a 404 is not an error). */
  interface HttpResponse {
    /** The status code. */
    status: number;
    /** Response headers, names in lower case, repeated ones joined with `, `. */
    headers: Record<string, string>;
    /** The body: its text when it is UTF-8, else base64 (see `body_encoding`). */
    body: string;
    /** `base64` when the body was not UTF-8; absent otherwise. */
    body_encoding?: "base64";
  }

  /** HTTP through the host; counted in `max_http_requests`. */
  interface Http {
    /** Sends one request (redirects are followed, each hop checked). */
    fetch(url: string, options?: HttpOptions): HttpResponse;
    fetch(
      url: string,
      method?: HttpMethod | null,
      headers?: Record<string, string> | null,
      body?: string | null,
      body_encoding?: Encoding | null,
    ): HttpResponse;
    fetch(request: HttpRequest): HttpResponse;
  }

  /** Secrets in the extension's own namespace. */
  interface Vault {
    /** The secret under `key`, or `null` (`vault:read`). */
    get(key: string): string | null;
    get(request: { key: string }): string | null;
    /** Stores `value` under `key` (`vault:write`). */
    set(key: string, value: string): void;
    set(request: { key: string; value: string }): void;
  }

  /** An event on the host's bus. */
  interface Event {
    /** The emitting extension's id, or `host` for the host's own events. */
    source: string;
    level: Level;
    message: string;
    /** The payload (`null` when none). */
    data: Json;
    /** When, in Unix milliseconds. */
    ts_ms: number;
  }

  /** Events on the host's bus (`event:emit`). */
  interface Events {
    /** Emits an event (message at most 16 KiB, data at most 64 KiB of JSON; level default `info`). */
    emit(message: string, level?: Level | null, data?: Json): void;
    emit(request: { message: string; data?: Json; level?: Level }): void;
  }

  /** A file's content as `morph.fs.read` returns it. */
  interface FileContent {
    /** The text, or base64 of the bytes when they are not UTF-8. */
    content: string;
    encoding: Encoding;
  }

  /** One entry of `morph.fs.list`. */
  interface DirEntry {
    name: string;
    kind: "file" | "dir" | "other";
    /** Size in bytes (files). */
    size: number;
  }

  /** Files in the extension's own data directory; paths are relative to it. */
  interface Fs {
    /** Reads a file (`fs:read`; at most `max_file_size_mb`). */
    read(path: string): FileContent;
    read(request: { path: string }): FileContent;
    /** Writes a file, creating its directories (`fs:write`); `base64` writes bytes. */
    write(path: string, content: string, encoding?: Encoding | null): void;
    write(request: { path: string; content: string; encoding?: Encoding }): void;
    /** Lists a directory, the root when `path` is absent (`fs:read`). */
    list(path?: string | null): DirEntry[];
    list(request: { path?: string }): DirEntry[];
    /** Deletes a file (`fs:write`). */
    delete(path: string): void;
    delete(request: { path: string }): void;
  }

  /** A task of the host's task store (each extension sees only its own). */
  interface Task {
    id: number;
    title: string;
    /** May be empty. */
    description: string;
    /** Free-form; `open` by default. */
    status: string;
    /** Free-form JSON attached by the extension. */
    data: Json;
    /** Creation time, Unix milliseconds. */
    created_ms: number;
    /** Last update, Unix milliseconds. */
    updated_ms: number;
  }

  /** `morph.data.createTask`'s request. */
  interface NewTask {
    /** 1 to 1024 bytes. */
    title: string;
    /** At most 64 KiB. */
    description?: string;
    /** Default `open`. */
    status?: string;
    /** At most 256 KiB of JSON. */
    data?: Json;
  }

  /** `morph.data.listTasks`'s query. */
  interface TaskQuery {
    /** Only tasks with this status. */
    status?: string;
    /** At most this many (default 100, at most 1000). */
    limit?: number;
    /** Skip this many. */
    offset?: number;
  }

  /** `morph.data.updateTask`'s request: the task's id and the fields to change. */
  interface TaskPatch {
    id: number;
    title?: string;
    description?: string;
    status?: string;
    data?: Json;
  }

  /** `createTask`'s fields after the title, by name. */
  type NewTaskFields = Omit<NewTask, "title">;

  /** `updateTask`'s fields after the id, by name. */
  type TaskFields = Omit<TaskPatch, "id">;

  /** The host's task store (`data:read` to read, `data:write` to change). */
  interface Data {
    createTask(title: string, fields?: NewTaskFields): Task;
    createTask(
      title: string,
      description?: string | null,
      status?: string | null,
      data?: Json,
    ): Task;
    createTask(task: NewTask): Task;
    /** A missing id throws with code `capability_failed`. */
    getTask(id: number): Task;
    getTask(request: { id: number }): Task;
    listTasks(status?: string | null, limit?: number | null, offset?: number | null): Task[];
    listTasks(query?: TaskQuery): Task[];
    /** Changes the fields given; a missing id throws with code `capability_failed`. */
    updateTask(id: number, fields?: TaskFields): Task;
    updateTask(
      id: number,
      title?: string | null,
      description?: string | null,
      status?: string | null,
      data?: Json,
    ): Task;
    updateTask(patch: TaskPatch): Task;
  }

  /** The global `morph` object. */
  interface Api {
    readonly http: Readonly<Http>;
    readonly vault: Readonly<Vault>;
    readonly events: Readonly<Events>;
    readonly fs: Readonly<Fs>;
    readonly data: Readonly<Data>;
    /** Writes a log line (level default `info`; counts toward `max_output_kb`). Needs no permission. */
    log(message: string, level?: Level | null): void;
    log(request: { message: string; level?: Level }): void;
    /** The host-supplied configuration, validated against the manifest's `config_schema`. */
    config(request?: JsonObject): JsonObject;
    /** Calls any capability by its wire name (`http.fetch`, `data.list_tasks`, ...) and returns its raw response. */
    invoke(capability: string, request?: Json): Json;
  }

  /** An action's parameters, validated against the manifest (defaults filled in). */
  type Params = JsonObject;

  /** What an export may return: JSON, or a promise of it. */
  type Result<T extends Json | object | void = Json> = T | Promise<T>;

  /**
   * `export function execute(action, params)`: runs every action the
   * manifest declares. Required. What it returns (or its promise settles
   * to) is the action's result; what it throws fails the call with
   * `guest_error` and the error's message (or the `code` of an uncaught
   * {@link CapabilityError}).
   */
  type Execute = (action: string, params: Params) => Result<Json | object>;

  /** `export function init(config)`: runs once per warm instance, before any call. Optional. */
  type Init = (config: JsonObject) => Result<void>;

  /** `export function onEvent(event)`: receives the host bus's events. Optional. */
  type OnEvent = (event: Event) => Result<void>;
}

/** Morph's host API: the extension's only way to the host. Frozen. */
declare const morph: Readonly<Morph.Api>;
