import nock from 'nock';

/**
 * Third-party HTTP (Stripe, S3) is mocked with nock; only loopback stays real.
 * Registers the hooks in the calling `describe`; `beforeCleanup` runs first
 * after each test (e.g. closing clients) so no request outlives its mocks.
 */
export function mockThirdPartyHttp(beforeCleanup?: () => Promise<void>): void {
  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterEach(async () => {
    await beforeCleanup?.();
    nock.abortPendingRequests();
    nock.cleanAll();
  });
  afterAll(() => {
    nock.enableNetConnect();
    nock.restore();
  });
}
