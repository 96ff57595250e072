// The Node reference driver for JS extensions:
//
//   node reference.mjs MODULE_PATH ACTION PARAMS_JSON [CONFIG_JSON]
//
// imports the ES module, awaits `init(config)` if exported (config defaults
// to {}), awaits `execute(action, params)` and prints `JSON.stringify(result)`
// on one line of stdout. What the module logged through `console` is written
// to stderr as one JSON object per line, `{"level": ..., "message": ...}`,
// with Morph's levels (log/info/table/count/time -> info, debug/trace ->
// debug, warn -> warn, error/assert -> error) and Node's own formatting.
// Timers still pending when `execute` settles are dropped, as in Morph.
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [modulePath, action, paramsJson = 'null', configJson = '{}'] = process.argv.slice(2);
if (!modulePath || !action) {
  process.stderr.write('usage: node reference.mjs MODULE_PATH ACTION PARAMS_JSON [CONFIG_JSON]\n');
  process.exit(2);
}

let level = 'info';
const sink = new Writable({
  write(chunk, _encoding, done) {
    const message = chunk.toString('utf8').replace(/\n$/, '');
    process.stderr.write(JSON.stringify({ level, message }) + '\n');
    done();
  },
});
const inner = new Console({ stdout: sink, stderr: sink, colorMode: false });
const LEVELS = {
  log: 'info', info: 'info', debug: 'debug', warn: 'warn', error: 'error', trace: 'debug',
  table: 'info', dir: 'info', dirxml: 'info', count: 'info', countReset: 'warn', time: 'warn',
  timeEnd: 'info', timeLog: 'info', assert: 'error', group: 'info', groupCollapsed: 'info',
  groupEnd: 'info',
};
for (const [name, lvl] of Object.entries(LEVELS)) {
  console[name] = (...args) => {
    const saved = level;
    level = lvl;
    try { return inner[name](...args); } finally { level = saved; }
  };
}
// Node reports console.time/timeEnd label misuse as a process warning.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  process.stderr.write(JSON.stringify({ level: 'warn', message: `Warning: ${w.message}` }) + '\n');
});

const mod = await import(pathToFileURL(resolve(modulePath)).href);
if (typeof mod.init === 'function') await mod.init(JSON.parse(configJson));
const result = await mod.execute(action, JSON.parse(paramsJson));
process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
