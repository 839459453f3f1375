import { lookup as systemLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Guards against server-side request forgery: webhook URLs come from tenant job
 * payloads, so a probe that connects wherever they point could be steered at
 * cloud metadata (169.254.169.254), Redis, the Docker socket's TCP port or any
 * other service reachable only from inside the platform network.
 */

/** IPv4 ranges that are not the public internet. */
const PRIVATE_V4: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], // "this network"; 0.0.0.0 itself reaches local listeners on Linux
  ['10.0.0.0', 8], // RFC 1918
  ['100.64.0.0', 10], // carrier-grade NAT, often the provider's internal fabric
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local: cloud metadata endpoints live here
  ['172.16.0.0', 12], // RFC 1918
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // RFC 1918
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, including the 255.255.255.255 broadcast
];

/** IPv6 ranges that are private whatever follows the prefix. */
const PRIVATE_V6: ReadonlyArray<readonly [string, number]> = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['fc00::', 7], // unique local (ULA)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // deprecated site-local: still private where it is used
  ['ff00::', 8], // multicast
];

/**
 * IPv6 prefixes whose last 32 bits carry an IPv4 address the packet ends up at:
 * for these the embedded address decides, so `::ffff:10.0.0.5` is as private as
 * `10.0.0.5` while `64:ff9b::8.8.8.8` (NAT64 of a public host) stays allowed.
 */
const EMBEDS_V4: ReadonlyArray<readonly [string, number]> = [
  ['::ffff:0:0', 96], // IPv4-mapped
  ['64:ff9b::', 96], // NAT64 well-known prefix
  ['::', 96], // deprecated IPv4-compatible (`::127.0.0.1`, which URL writes as `::7f00:1`)
];

function blockList(ranges: ReadonlyArray<readonly [string, number]>, family: 'ipv4' | 'ipv6'): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of ranges) list.addSubnet(network, prefix, family);
  return list;
}

const privateV4 = blockList(PRIVATE_V4, 'ipv4');
const privateV6 = blockList(PRIVATE_V6, 'ipv6');
const embedsV4 = EMBEDS_V4.map(([network, prefix]) => blockList([[network, prefix]], 'ipv6'));

/** `[::1]` (as `URL.hostname` writes it) -> `::1`; `fe80::1%eth0` -> `fe80::1` (BlockList silently misses zones). */
function bareAddress(host: string): string {
  const unbracketed = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const zone = unbracketed.indexOf('%');
  return zone === -1 ? unbracketed : unbracketed.slice(0, zone);
}

/** The 16 bytes of a valid IPv6 address (validated with `isIP` first). */
function ipv6Bytes(ip: string): number[] {
  let text = ip;
  const tail: number[] = [];
  // A trailing dotted quad (`::ffff:10.0.0.5`) stands for the last two groups.
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    tail.push(
      ...text
        .slice(lastColon + 1)
        .split('.')
        .map(Number),
    );
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', rest] = text.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = groups(head);
  const right = groups(rest);
  const all =
    rest === undefined ? left : [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = all.flatMap((g) => [g >> 8, g & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

/**
 * Is `ip` an address a tenant's webhook must never point us at: loopback,
 * RFC 1918, link-local (cloud metadata), CGNAT, multicast, reserved, IPv6 ULA
 * and link-local, or an IPv6 form that embeds one of those IPv4 addresses?
 * Brackets and zone ids are ignored. A string that is not an IP address is
 * not private: names are judged by what they resolve to (`guardedLookup`).
 */
export function isPrivateAddress(ip: string): boolean {
  const address = bareAddress(ip);
  switch (isIP(address)) {
    case 4:
      return privateV4.check(address, 'ipv4');
    case 6: {
      if (privateV6.check(address, 'ipv6')) return true;
      if (!embedsV4.some((list) => list.check(address, 'ipv6'))) return false;
      const v4 = ipv6Bytes(address).slice(12).join('.');
      return privateV4.check(v4, 'ipv4');
    }
    default:
      return false;
  }
}

/** `code` of the error `guardedLookup` fails with, so callers can tell "refused" from "unreachable". */
export const PRIVATE_ADDRESS_CODE = 'EPRIVATEADDR';

/** A connection we refused to make: the name resolved to (or was) a private address. */
export class PrivateAddressError extends Error {
  readonly code = PRIVATE_ADDRESS_CODE;

  constructor(
    readonly address: string,
    readonly hostname?: string,
  ) {
    super(`refusing to connect to private address ${address}`);
    this.name = 'PrivateAddressError';
  }
}

/** The refused address if `error` (or one of its `cause`s, as fetch-style wrappers nest them) is a refusal. */
export function refusedAddress(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 3; depth++) {
    if (typeof current !== 'object') break;
    const { code, address, cause } = current as { code?: unknown; address?: unknown; cause?: unknown };
    if (code === PRIVATE_ADDRESS_CODE) return typeof address === 'string' ? address : 'unknown';
    current = cause;
  }
  return undefined;
}

/**
 * A `lookup` for `net.connect`/`tls.connect` (and so undici's `connect` option)
 * that resolves with the system resolver and refuses private answers. Checking
 * inside the lookup, rather than resolving first and connecting after, means the
 * addresses we check are exactly the ones the socket connects to: a DNS answer
 * that changes between check and connect (rebinding) cannot slip through.
 *
 * Every address in the answer must be public, not just the first: with
 * `autoSelectFamily` (Node's default) the socket tries them all in turn.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    const all = options.all === true;
    // Always ask for every address so none is left unchecked, then answer in the shape asked for.
    const asked: LookupOptions & { all: true } = { ...options, all: true };
    systemLookup(hostname, asked, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, all ? [] : '');
      const refused = allowPrivate
        ? undefined
        : // An answer that is not an IP address at all is refused too: fail closed.
          addresses.find(({ address }) => isIP(address) === 0 || isPrivateAddress(address));
      if (refused) return callback(new PrivateAddressError(refused.address, hostname), all ? [] : '');
      const first = addresses[0];
      if (all) return callback(null, addresses);
      if (!first) {
        const notFound: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
        notFound.code = 'ENOTFOUND';
        return callback(notFound, '');
      }
      return callback(null, first.address, first.family);
    });
  };
}

/**
 * `net.connect` never calls `lookup` for an IP literal, so `guardedLookup`
 * cannot see `http://10.0.0.5/`: check literals here before connecting. Takes a
 * `URL.hostname` (IPv6 in brackets) or a bare address. Returns why the host is
 * refused, or undefined when it is allowed or is a name (the lookup decides then).
 */
export function checkHostAllowed(hostname: string, allowPrivate: boolean): string | undefined {
  if (allowPrivate) return undefined;
  const address = bareAddress(hostname);
  if (isIP(address) === 0) return undefined;
  return isPrivateAddress(address) ? `private address ${address}` : undefined;
}
