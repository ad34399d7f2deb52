#!/usr/bin/env node
/**
 * telnetlib3-fingerprint: identify a Telnet server by what it negotiates
 * (telnetlib3's `fingerprint_main`). Prints the record as JSON (empty and
 * false fields left out, as telnetlib3 shows it), `--table` for a summary
 * table instead, `--silent` for neither; saves it with `--save-json PATH`
 * or under `--data-dir` / `$TELNETLIB3_DATA_DIR`
 * (`server/<protocol-hash>/<session-hash>.json`).
 *
 *   telnetlib3-fingerprint HOST [PORT]
 *
 * Durations are seconds, as in telnetlib3. Exit status: 0 when a record
 * was made, 1 on errors (`Error: <msg>`).
 */
import { Command, InvalidArgumentError } from 'commander';
import { probeServer, type ServerProbeOptions } from '../src/fingerprint/server-probe.js';
import { saveFingerprintName, saveServerRecord } from '../src/fingerprint/store.js';
import { summarizeServer } from '../src/fingerprint/summary.js';
import { count, oneOf, optionList, portParser, seconds } from './cli-common.js';

function keyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq < 1) throw new InvalidArgumentError('expected KEY=VALUE.');
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

/** Drop empty and false values for display (telnetlib3 `_cull_display`). */
function cull(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(cull);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x === false || x === '' || (Array.isArray(x) && x.length === 0) || (x !== null && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length === 0)) continue;
      out[k] = cull(x);
    }
    return out;
  }
  return v;
}

async function main(): Promise<void> {
  const program = new Command()
    .name('telnetlib3-fingerprint')
    .description('Fingerprint a Telnet server: banner, prompts, option probes; prints or saves the JSON record.')
    .argument('<host>', 'server to probe')
    .argument('[port]', 'its port', portParser(false), 23)
    .option('--scan-type <type>', 'quick (core + COM-PORT + MUD options) or full (+ 32 legacy options)', oneOf('quick', 'full'), 'quick')
    .option('--banner-max-bytes <n>', 'most banner bytes kept per read', count, 65536)
    .option('--banner-max-wait <seconds>', 'longest banner read', seconds, 8)
    .option('--banner-quiet-time <seconds>', 'silence that ends the banner', seconds, 2)
    .option('--connect-timeout <seconds>', 'TCP connect bound', seconds, 10)
    .option('--mssp-wait <seconds>', 'wait for MSSP data until this long after connect', seconds, 5)
    .option('--total-timeout <seconds>', 'bound on the whole probe', seconds, 60)
    .option('--ttype <name>', 'terminal type we report', 'VT100')
    .option('--encoding <codec>', 'banner encoding', 'ascii')
    .option('--send-env <KEY=VALUE>', 'a NEW_ENVIRON value to offer (repeatable)', keyValue, {})
    .option('--always-will <opt>', 'offer this option (name or number; comma list, repeatable)', optionList, [])
    .option('--always-do <opt>', 'ask the server for this option', optionList, [])
    .option('--always-wont <opt>', 'refuse this option on our side', optionList, [])
    .option('--always-dont <opt>', 'refuse this option from the server', optionList, [])
    .option('--data-dir <path>', 'save under this directory (default $TELNETLIB3_DATA_DIR)')
    .option('--save-json <path>', 'save the record to this file')
    .option('--set-name <name>', 'name this fingerprint in fingerprint_names.json')
    .option('--table', 'print a summary table instead of JSON', false)
    .option('--silent', 'print nothing', false)
    .showHelpAfterError();
  program.parse(process.argv);
  const [host, port] = program.processedArgs as [string, number];
  const o = program.opts<{
    scanType: 'quick' | 'full'; bannerMaxBytes: number; bannerMaxWait: number; bannerQuietTime: number; connectTimeout: number;
    msspWait: number; totalTimeout: number; ttype: string; encoding: string; sendEnv: Record<string, string>; dataDir?: string;
    saveJson?: string; setName?: string; table: boolean; silent: boolean;
    alwaysWill: number[]; alwaysDo: number[]; alwaysWont: number[]; alwaysDont: number[];
  }>();
  const opts: ServerProbeOptions = {
    scanType: o.scanType, bannerMaxBytes: o.bannerMaxBytes, bannerMaxWait: o.bannerMaxWait * 1000, bannerQuietTime: o.bannerQuietTime * 1000,
    connectTimeout: o.connectTimeout * 1000, msspWait: o.msspWait * 1000, totalTimeout: o.totalTimeout * 1000, ttype: o.ttype,
    encoding: o.encoding, sendEnv: o.sendEnv,
    alwaysWill: o.alwaysWill, alwaysDo: o.alwaysDo, alwaysWont: o.alwaysWont, alwaysDont: o.alwaysDont,
  };
  const record = await probeServer(host, port, opts);
  const file = saveServerRecord(record, { dataDir: o.dataDir, savePath: o.saveJson, warn: (m) => process.stderr.write(`${m}\n`) });
  if (o.setName !== undefined) saveFingerprintName(record['server-probe'].fingerprint, o.setName, o.dataDir);
  if (!o.silent) {
    if (o.table) process.stdout.write(summarizeServer(record, file).replace(/\r\n/g, '\n'));
    else process.stdout.write(`${JSON.stringify(cull(record), null, 2)}\n`);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`Error: ${err.message}\n`);
  process.exit(1);
});
