// Outbound URL policy (SSRF guard): upstream URLs must be https to public addresses unless allow-listed.
// Checked when a URL is configured and again on every connection (see guardedLookup), so DNS rebinding
// and redirects cannot reach a refused address.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped?.[1]) return blocked.check(mapped[1], 'ipv4');
    return blocked.check(address, 'ipv6');
  }
  return true;
}

interface AllowEntry {
  host?: string;
  port?: string;
  cidr?: BlockList;
}

export interface OutboundPolicy {
  readonly allow: AllowEntry[];
}

export function parseAllowList(text: string): OutboundPolicy {
  const allow: AllowEntry[] = [];
  for (const raw of text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)) {
    const cidr = /^([0-9a-f:.]+)\/(\d{1,3})$/.exec(raw);
    if (cidr?.[1] && cidr[2]) {
      const family = isIP(cidr[1]);
      if (family === 0) throw new Error(`CONDUIT_UPSTREAM_ALLOW: "${raw}" is not a valid CIDR`);
      const list = new BlockList();
      list.addSubnet(cidr[1], Number(cidr[2]), family === 4 ? 'ipv4' : 'ipv6');
      allow.push({ cidr: list });
      continue;
    }
    const hostPort = /^(\[[0-9a-f:]+\]|[^:\s/]+)(?::(\d+))?$/.exec(raw);
    if (!hostPort?.[1]) throw new Error(`CONDUIT_UPSTREAM_ALLOW: "${raw}" is not host[:port] or CIDR`);
    allow.push({ host: hostPort[1].replace(/^\[|\]$/g, ''), port: hostPort[2] });
  }
  return { allow };
}

function defaultPort(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

function addressAllowed(policy: OutboundPolicy, address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return policy.allow.some((e) => e.cidr?.check(address, family === 4 ? 'ipv4' : 'ipv6'));
}

/** True when the URL's host (and port) is named on the allow list, or its literal IP sits in an allowed CIDR. */
export function isHostAllowed(policy: OutboundPolicy, url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = defaultPort(url);
  if (policy.allow.some((e) => e.host === host && (e.port === undefined || e.port === port))) return true;
  return addressAllowed(policy, host);
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

// Numeric host spellings that URL parsers normalise silently (2130706433, 0x7f.1, 0177.0.0.1): refused outright.
function isObfuscatedNumericHost(rawUrl: string): boolean {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?([^/?#:]+)/i.exec(rawUrl.trim())?.[1] ?? '';
  if (authority.startsWith('[')) return false;
  if (!/^[0-9a-fx.]+$/i.test(authority) || !/\d/.test(authority)) return false;
  const parts = authority.split('.');
  const canonical = parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
  return !canonical;
}

/** Static check of a configured URL, then DNS resolution of its host: every address must be public. */
export async function checkOutboundUrl(
  policy: OutboundPolicy,
  rawUrl: string,
  resolve: (host: string) => Promise<string[]> = resolveHost,
): Promise<UrlCheck> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { ok: false, reason: 'is not a valid absolute URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: 'must use https' };
  if (url.username || url.password) return { ok: false, reason: 'must not contain credentials' };
  if (isObfuscatedNumericHost(rawUrl)) return { ok: false, reason: 'uses a numeric host form that is not allowed' };
  if (isHostAllowed(policy, url)) return { ok: true, url };
  if (url.protocol !== 'https:') return { ok: false, reason: 'must use https' };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    return isPrivateAddress(host)
      ? { ok: false, reason: 'points to a private or loopback address' }
      : { ok: true, url };
  }
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal')) {
    return { ok: false, reason: 'points to a private or loopback address' };
  }
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch {
    return { ok: false, reason: `host ${host} could not be resolved` };
  }
  if (addresses.length === 0) return { ok: false, reason: `host ${host} could not be resolved` };
  const refused = addresses.find((a) => isPrivateAddress(a) && !addressAllowed(policy, a));
  if (refused) return { ok: false, reason: 'resolves to a private or loopback address' };
  return { ok: true, url };
}

function resolveHost(host: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(host, { all: true }, (err, addresses: LookupAddress[]) =>
      err ? reject(err) : resolve(addresses.map((a) => a.address)),
    );
  });
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A dns.lookup replacement for outbound sockets: refuses private addresses at connect time unless the
 * host is allow-listed, so a hostname that later resolves to 127.0.0.1 is still blocked.
 */
export function guardedLookup(policy: OutboundPolicy) {
  return (hostname: string, options: { all?: boolean } & Record<string, unknown>, callback: LookupCallback): void => {
    const probe = new URL(`http://${hostname.includes(':') ? `[${hostname}]` : hostname}`);
    const namedAllowed = policy.allow.some((e) => e.host === probe.hostname.replace(/^\[|\]$/g, ''));
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, options.all ? [] : '');
      const ok = addresses.filter(
        (a) => namedAllowed || !isPrivateAddress(a.address) || addressAllowed(policy, a.address),
      );
      if (ok.length === 0) {
        const e = new Error(
          `outbound connection to ${hostname} refused by the upstream policy`,
        ) as NodeJS.ErrnoException;
        e.code = 'EUPSTREAMPOLICY';
        return callback(e, options.all ? [] : '');
      }
      if (options.all) return callback(null, ok);
      const first = ok[0]!;
      return callback(null, first.address, first.family);
    });
  };
}
