import dns, { type LookupAddress } from 'node:dns';
import {
  checkHostAllowed,
  guardedLookup,
  isPrivateAddress,
  PrivateAddressError,
  refusedAddress,
} from '../../src/probes/address-guard';

describe('isPrivateAddress', () => {
  it.each([
    // IPv4: one address at each edge of every range, so an off-by-one prefix shows.
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback, top of 127/8'],
    ['0.0.0.0', 'this network'],
    ['0.255.255.255', 'this network, top of 0/8'],
    ['10.0.0.5', 'RFC 1918 10/8'],
    ['10.255.255.255', 'RFC 1918 10/8 top'],
    ['172.16.0.1', 'RFC 1918 172.16/12 bottom'],
    ['172.31.255.255', 'RFC 1918 172.16/12 top'],
    ['192.168.1.1', 'RFC 1918 192.168/16'],
    ['169.254.169.254', 'link-local: cloud metadata'],
    ['100.64.0.1', 'CGNAT bottom'],
    ['100.127.255.255', 'CGNAT top'],
    ['192.0.0.8', 'IETF protocol assignments'],
    ['198.18.0.1', 'benchmarking bottom'],
    ['198.19.255.255', 'benchmarking top'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast (SSDP)'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    // IPv6
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'ULA fc00::/7'],
    ['fd12:3456:789a::1', 'ULA fd00::/8'],
    ['fe80::1', 'link-local'],
    ['febf:ffff::1', 'link-local top'],
    ['fe80::1%eth0', 'link-local with a zone id'],
    ['fec0::1', 'deprecated site-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback, dotted'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback, as URL writes it'],
    ['::ffff:169.254.169.254', 'IPv4-mapped metadata'],
    ['::ffff:a00:5', 'IPv4-mapped 10.0.0.5 in hex'],
    ['64:ff9b::10.0.0.5', 'NAT64 of a private address'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 of cloud metadata, in hex'],
    ['::7f00:1', 'IPv4-compatible loopback (deprecated form)'],
    ['[::1]', 'bracketed, as URL.hostname writes it'],
    ['[::ffff:7f00:1]', 'bracketed mapped loopback'],
  ])('%s is private (%s)', (ip) => {
    expect(isPrivateAddress(ip)).toBe(true);
  });

  it.each([
    ['8.8.8.8', 'Google DNS'],
    ['1.1.1.1', 'Cloudflare DNS'],
    ['2606:4700::1111', 'Cloudflare DNS over IPv6'],
    ['[2606:4700::1111]', 'bracketed public IPv6'],
    ['9.255.255.255', 'just below 10/8'],
    ['11.0.0.0', 'just above 10/8'],
    ['172.15.255.255', 'just below 172.16/12'],
    ['172.32.0.0', 'just above 172.16/12'],
    ['100.63.255.255', 'just below CGNAT'],
    ['100.128.0.0', 'just above CGNAT'],
    ['169.253.255.255', 'just below link-local'],
    ['192.0.1.1', 'just above 192.0.0/24'],
    ['198.20.0.0', 'just above benchmarking'],
    ['223.255.255.255', 'just below multicast'],
    ['::ffff:8.8.8.8', 'IPv4-mapped public'],
    ['64:ff9b::8.8.8.8', 'NAT64 of a public address'],
    ['2001:4860:4860::8888', 'Google DNS over IPv6'],
    ['fbff::1', 'just below ULA'],
    ['example.com', 'a name: judged by what it resolves to, not here'],
    ['', 'empty'],
  ])('%s is not private (%s)', (ip) => {
    expect(isPrivateAddress(ip)).toBe(false);
  });
});

describe('checkHostAllowed', () => {
  it.each([
    ['127.0.0.1', 'private address 127.0.0.1'],
    ['10.0.0.5', 'private address 10.0.0.5'],
    ['169.254.169.254', 'private address 169.254.169.254'],
    ['[::1]', 'private address ::1'],
    ['[::ffff:7f00:1]', 'private address ::ffff:7f00:1'],
    ['[fd00::1]', 'private address fd00::1'],
  ])('refuses the literal %s', (host, reason) => {
    expect(checkHostAllowed(host, false)).toBe(reason);
  });

  it('reads hosts the way URL.hostname writes them, whatever form the payload used', () => {
    // URL canonicalises decimal, hex and short IPv4 forms and mapped IPv6, so none of them slips past.
    for (const url of [
      'http://2130706433/',
      'http://0x7f.1/',
      'http://0177.0.0.1/',
      'http://127.0.0.1./',
      'http://[::ffff:127.0.0.1]/',
      'http://[::127.0.0.1]/',
      'http://0/',
      'http://[64:ff9b::169.254.169.254]/',
    ]) {
      expect(checkHostAllowed(new URL(url).hostname, false)).toMatch(/^private address /);
    }
  });

  it.each(['8.8.8.8', '[2606:4700::1111]', 'example.com', 'localhost'])(
    'lets %s through (public literal, or a name the lookup will judge)',
    (host) => {
      expect(checkHostAllowed(host, false)).toBeUndefined();
    },
  );

  it('allows private literals when told to', () => {
    expect(checkHostAllowed('127.0.0.1', true)).toBeUndefined();
    expect(checkHostAllowed('[::1]', true)).toBeUndefined();
  });
});

/** Calls a lookup the way net.connect does and hands back what it answered. */
function lookupWith(allowPrivate: boolean, hostname: string, all: boolean) {
  return new Promise<{
    error: NodeJS.ErrnoException | null;
    address: string | LookupAddress[];
    family?: number;
  }>((resolve) => {
    guardedLookup(allowPrivate)(hostname, { all }, (error, address, family) =>
      resolve({ error, address, family }),
    );
  });
}

describe('guardedLookup', () => {
  it.each([true, false])('refuses localhost (all: %s) with EPRIVATEADDR', async (all) => {
    const { error } = await lookupWith(false, 'localhost', all);
    expect(error).toBeInstanceOf(PrivateAddressError);
    expect(error?.code).toBe('EPRIVATEADDR');
    expect(error?.message).toMatch(/^refusing to connect to private address (127\.0\.0\.1|::1)$/);
    expect(refusedAddress(error)).toMatch(/^(127\.0\.0\.1|::1)$/);
  });

  it('answers localhost in the shape asked for when private addresses are allowed', async () => {
    const one = await lookupWith(true, 'localhost', false);
    expect(one.error).toBeNull();
    expect(isPrivateAddress(one.address as string)).toBe(true);
    expect([4, 6]).toContain(one.family);

    const all = await lookupWith(true, 'localhost', true);
    expect(all.error).toBeNull();
    expect(Array.isArray(all.address)).toBe(true);
    expect((all.address as LookupAddress[]).length).toBeGreaterThan(0);
  });

  describe('with a stubbed resolver', () => {
    // Stubbing `dns.lookup` makes these answers deterministic and keeps the tests off the network.
    const answer = (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) =>
      jest
        .spyOn(dns, 'lookup')
        .mockImplementation(((
          _host: string,
          _options: unknown,
          callback: (e: NodeJS.ErrnoException | null, a: LookupAddress[]) => void,
        ) => callback(error, addresses)) as unknown as typeof dns.lookup);
    afterEach(() => jest.restoreAllMocks());

    it('refuses a name when any address in the answer is private, not just the first', async () => {
      answer(null, [
        { address: '93.184.215.14', family: 4 },
        { address: '10.0.0.5', family: 4 },
      ]);
      for (const all of [false, true]) {
        const { error } = await lookupWith(false, 'mixed.example', all);
        expect(error?.message).toBe('refusing to connect to private address 10.0.0.5');
        expect(refusedAddress(error)).toBe('10.0.0.5');
      }
    });

    it('answers public addresses in the shape asked for, asking the resolver for all of them', async () => {
      const spy = answer(null, [
        { address: '2606:4700::1111', family: 6 },
        { address: '1.1.1.1', family: 4 },
      ]);
      expect(await lookupWith(false, 'one.example', false)).toEqual({
        error: null,
        address: '2606:4700::1111',
        family: 6,
      });
      expect(spy).toHaveBeenLastCalledWith('one.example', { all: true }, expect.any(Function));
      expect((await lookupWith(false, 'one.example', true)).address).toEqual([
        { address: '2606:4700::1111', family: 6 },
        { address: '1.1.1.1', family: 4 },
      ]);
    });

    it('passes resolver failures through untouched', async () => {
      const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND nope.example'), { code: 'ENOTFOUND' });
      answer(notFound, []);
      const { error } = await lookupWith(false, 'nope.example', false);
      expect(error).toBe(notFound);
      expect(refusedAddress(error)).toBeUndefined();
    });
  });
});

describe('refusedAddress', () => {
  it('finds a refusal wrapped as a cause, and nothing in other errors', () => {
    const refusal = new PrivateAddressError('10.0.0.5', 'internal.example');
    expect(refusedAddress(new Error('fetch failed', { cause: refusal }))).toBe('10.0.0.5');
    expect(refusedAddress(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBeUndefined();
    expect(refusedAddress(undefined)).toBeUndefined();
  });
});
