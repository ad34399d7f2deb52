/**
 * Parsing the fake router's answers (shared by the three router-* examples,
 * which differ only in how they talk to the device).
 */

/** What the router examples report. */
export interface RouterFacts {
  version: string | null;
  uptime: string | null;
  interfaces: Array<{ name: string; address: string; status: string; protocol: string }>;
  hostname: string | null;
  configLines: number;
}

/** Parse `show version`, `show ip interface brief` and `show running-config` output. */
export function parseRouter(version: string, brief: string, config: string): RouterFacts {
  const interfaces = brief.split('\n').slice(1).map((line) => {
    const m = /^(\S+)\s+(\S+)\s+\S+\s+\S+\s+(up|down|administratively down)\s+(up|down)\s*$/.exec(line);
    return m === null ? null : { name: m[1]!, address: m[2]!, status: m[3]!, protocol: m[4]! };
  }).filter((x): x is NonNullable<typeof x> => x !== null);
  return {
    version: /Version ([^,\s]+)/.exec(version)?.[1] ?? null,
    uptime: /uptime is (.+)$/m.exec(version)?.[1]?.trim() ?? null,
    interfaces,
    hostname: /^hostname (\S+)/m.exec(config)?.[1] ?? null,
    configLines: config.split('\n').length,
  };
}
