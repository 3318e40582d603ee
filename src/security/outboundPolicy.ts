// Outbound URL policy (SSRF guard): upstream URLs must be https to public addresses unless allow-listed.
// Checked when a URL is configured and again on every connection (see guardedConnector), so DNS rebinding,
// IP literals and redirects cannot reach a refused address. Every IPv6 form that embeds an IPv4 address
// (mapped, SIIT, NAT64, 6to4) is judged by the IPv4 address inside it; everything outside global unicast is refused.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { buildConnector } from 'undici';

type Range = readonly [bytes: readonly number[], prefix: number];

// https://www.iana.org/assignments/iana-ipv4-special-registry — plus multicast and the reserved 240/4.
const refusedV4: Range[] = [
  [[0, 0, 0, 0], 8], // "this network"
  [[10, 0, 0, 0], 8],
  [[100, 64, 0, 0], 10], // CGNAT (and Alibaba's metadata 100.100.100.200)
  [[127, 0, 0, 0], 8],
  [[169, 254, 0, 0], 16], // link-local, cloud metadata
  [[172, 16, 0, 0], 12],
  [[192, 0, 0, 0], 24], // IETF protocol assignments (Oracle metadata 192.0.0.192)
  [[192, 0, 2, 0], 24],
  [[192, 88, 99, 0], 24], // 6to4 relay anycast
  [[192, 168, 0, 0], 16],
  [[198, 18, 0, 0], 15], // benchmarking
  [[198, 51, 100, 0], 24],
  [[203, 0, 113, 0], 24],
  [[224, 0, 0, 0], 4], // multicast
  [[240, 0, 0, 0], 4], // reserved, and 255.255.255.255
];

// https://www.iana.org/assignments/iana-ipv6-special-registry — inside global unicast 2000::/3 only; all else is refused.
const refusedV6: Range[] = [
  [[0x20, 0x01, 0x00, 0x00], 23], // IETF protocol assignments: Teredo 2001::/32 (obfuscated IPv4), benchmarking, ORCHID
  [[0x20, 0x01, 0x0d, 0xb8], 32], // documentation
  [[0x3f, 0xff, 0x00, 0x00], 20], // documentation
];

function inRange(bytes: Uint8Array | readonly number[], [net, prefix]: Range): boolean {
  for (let bit = 0; bit < prefix; bit += 8) {
    const take = Math.min(8, prefix - bit);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((bytes[bit / 8] ?? 0) & mask) !== ((net[bit / 8] ?? 0) & mask)) return false;
  }
  return true;
}

function parseV4(address: string): number[] | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  const out = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : Number.NaN));
  return out.every((n) => n >= 0 && n <= 255) ? out : undefined;
}

/** The 16 bytes of an IPv6 address (zone id dropped, a dotted IPv4 tail accepted); undefined when malformed. */
export function parseV6(address: string): Uint8Array | undefined {
  let text = address.replace(/^\[|\]$/g, '');
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  if (isIP(text) !== 6) return undefined;
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1] && dotted[2]) {
    const v4 = parseV4(dotted[2]);
    if (!v4) return undefined;
    text = `${dotted[1]}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...Array<string>(Math.max(0, fill)).fill('0'), ...right];
  if (groups.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = Number.parseInt(g, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 0xff;
  });
  return bytes;
}

const zeros = (b: Uint8Array, from: number, to: number) => b.subarray(from, to).every((x) => x === 0);

/** The IPv4 address an IPv6 address stands for (mapped, SIIT-translated, NAT64, 6to4), if any. */
export function embeddedV4(b: Uint8Array): number[] | undefined {
  if (zeros(b, 0, 10) && b[10] === 0xff && b[11] === 0xff) return [...b.subarray(12)]; // ::ffff:0:0/96
  if (zeros(b, 0, 8) && b[8] === 0xff && b[9] === 0xff && zeros(b, 10, 12)) return [...b.subarray(12)]; // ::ffff:0:0:0/96
  if (b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(b, 4, 12)) return [...b.subarray(12)]; // 64:ff9b::/96
  if (b[0] === 0x20 && b[1] === 0x02) return [...b.subarray(2, 6)]; // 6to4 2002::/16
  return undefined;
}

function refusedV4Bytes(v4: readonly number[]): boolean {
  return refusedV4.some((r) => inRange(v4, r));
}

/**
 * True when an address must not be connected to: loopback, private, link-local, metadata, multicast, reserved,
 * any IPv6 outside global unicast (::/96 IPv4-compatible, ::1, ::, fc00::/7, fe80::/10, …), Teredo, and any
 * IPv6 form that embeds such an IPv4 address. Anything that is not an IP address is refused too.
 */
export function isPrivateAddress(address: string): boolean {
  const v4 = parseV4(address);
  if (v4) return refusedV4Bytes(v4);
  const v6 = parseV6(address);
  if (!v6) return true;
  const inner = embeddedV4(v6);
  if (inner) return refusedV4Bytes(inner);
  if ((v6[0]! & 0xe0) !== 0x20) return true; // outside 2000::/3 global unicast
  return refusedV6.some((r) => inRange(v6, r));
}

/** An address in the form the allow list compares: IPv4 for any IPv6 form embedding one, zone ids dropped. */
function canonicalAddress(address: string): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  if (parseV4(address)) return { address, family: 'ipv4' };
  const v6 = parseV6(address);
  if (!v6) return undefined;
  const inner = embeddedV4(v6);
  if (inner && !(v6[0] === 0x20 && v6[1] === 0x02)) return { address: inner.join('.'), family: 'ipv4' };
  const zone = address.indexOf('%');
  return { address: (zone >= 0 ? address.slice(0, zone) : address).replace(/^\[|\]$/g, ''), family: 'ipv6' };
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
    const hostPort = /^(\[[0-9a-f:.]+\]|[^:\s/]+)(?::(\d+))?$/.exec(raw);
    if (!hostPort?.[1]) throw new Error(`CONDUIT_UPSTREAM_ALLOW: "${raw}" is not host[:port] or CIDR`);
    allow.push({ host: hostPort[1].replace(/^\[|\]$/g, ''), port: hostPort[2] });
  }
  return { allow };
}

function defaultPort(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

function addressAllowed(policy: OutboundPolicy, address: string): boolean {
  const raw = parseV4(address) ? 'ipv4' : parseV6(address) ? 'ipv6' : undefined;
  if (!raw) return false;
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const canonical = canonicalAddress(address);
  return policy.allow.some(
    (e) =>
      e.cidr !== undefined &&
      (e.cidr.check(bare, raw) || (canonical !== undefined && e.cidr.check(canonical.address, canonical.family))),
  );
}

function namedAllowed(policy: OutboundPolicy, host: string, port: string): boolean {
  return policy.allow.some((e) => e.host === host && (e.port === undefined || e.port === port));
}

/** True when the URL's host (and port) is named on the allow list, or its literal IP sits in an allowed CIDR. */
export function isHostAllowed(policy: OutboundPolicy, url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (namedAllowed(policy, host, defaultPort(url))) return true;
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

const PRIVATE = 'points to a private or loopback address';

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
  const host = url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  if (isIP(host)) return isPrivateAddress(host) ? { ok: false, reason: PRIVATE } : { ok: true, url };
  if (host === 'localhost' || /\.(localhost|local|internal)$/.test(host)) return { ok: false, reason: PRIVATE };
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

function policyError(host: string): NodeJS.ErrnoException {
  const e = new Error(`outbound connection to ${host} refused by the upstream policy`) as NodeJS.ErrnoException;
  e.code = 'EUPSTREAMPOLICY';
  return e;
}

/**
 * A dns.lookup replacement for outbound sockets: refuses private addresses at connect time unless the
 * host is allow-listed, so a hostname that later resolves to 127.0.0.1 is still blocked.
 */
export function guardedLookup(policy: OutboundPolicy) {
  return (hostname: string, options: { all?: boolean } & Record<string, unknown>, callback: LookupCallback): void => {
    const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const named = policy.allow.some((e) => e.host === host);
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, options.all ? [] : '');
      const ok = addresses.filter((a) => named || !isPrivateAddress(a.address) || addressAllowed(policy, a.address));
      if (ok.length === 0) return callback(policyError(hostname), options.all ? [] : '');
      if (options.all) return callback(null, ok);
      const first = ok[0]!;
      return callback(null, first.address, first.family);
    });
  };
}

/**
 * The connector every outbound undici Agent uses (hub calls, provisioning checks, webhook deliveries): an IP
 * literal is judged before the socket opens (no DNS lookup happens for it), a name through guardedLookup, so
 * the address actually connected to is the one checked (DNS pinning). Allow-listed host:port connect as is.
 */
export function guardedConnector(policy: OutboundPolicy, options: { timeout: number }): buildConnector.connector {
  const direct = buildConnector({ timeout: options.timeout });
  const guarded = buildConnector({ timeout: options.timeout, lookup: guardedLookup(policy) as never });
  return (opts, callback) => {
    const host = opts.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const port = String(opts.port || (opts.protocol === 'https:' ? 443 : 80));
    if (namedAllowed(policy, host, port)) return direct(opts, callback);
    if (isIP(host) || host.includes('%')) {
      if (isPrivateAddress(host) && !addressAllowed(policy, host)) {
        callback(policyError(host), null);
        return;
      }
      return direct(opts, callback);
    }
    return guarded(opts, callback);
  };
}
