import { webApi } from '@slack/bolt';
import { SANDBOX_IDS, SlackEmulator } from '../../src/sandbox';
import { BOT_TOKEN, SIGNING_SECRET, webClient } from './fixtures';

const CHANNEL = SANDBOX_IDS.incidentChannel;

let emulator: SlackEmulator;
let client: webApi.WebClient;

beforeEach(async () => {
  emulator = await SlackEmulator.start({ signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN });
  client = webClient(emulator);
});

afterEach(async () => {
  await emulator.close();
});

const platformError = (error: string) => ({
  code: webApi.ErrorCode.PlatformError,
  data: expect.objectContaining({ ok: false, error }) as unknown,
});

async function threadRoot(): Promise<string> {
  const root = await client.chat.postMessage({ channel: CHANNEL, text: 'Incident: 3 workflows stalled' });
  return root.ts!;
}

/** A redacted job payload, with a multi-byte character so `length` must count bytes, not characters. */
const JOB = JSON.stringify(
  { id: '42', name: 'send-invoice', data: { customer: '[redacted]', note: 'café ✓' } },
  null,
  2,
);

describe('files.uploadV2 with the real Slack client', () => {
  it('stores the exact bytes and shares the file into the thread with its comment', async () => {
    const threadTs = await threadRoot();
    const result = await client.files.uploadV2({
      channel_id: CHANNEL,
      thread_ts: threadTs,
      filename: 'job-42.json',
      title: 'Job 42 (redacted)',
      content: JOB,
      initial_comment: 'Full payload of job 42',
    });
    expect(result.ok).toBe(true);

    // The client's three steps, in order.
    expect(emulator.calls.map((call) => [call.method, call.status])).toEqual([
      ['chat.postMessage', 200],
      ['files.getUploadURLExternal', 200],
      ['file_upload', 200],
      ['files.completeUploadExternal', 200],
    ]);
    const [reserve, upload] = emulator.calls.slice(1);
    expect(reserve!.args).toMatchObject({ filename: 'job-42.json', length: String(Buffer.byteLength(JOB)) });
    expect(upload!.args).toEqual({ file_id: reserve!.response.file_id, bytes: Buffer.byteLength(JOB) });

    const [file] = emulator.files(CHANNEL);
    expect(file).toEqual({
      id: reserve!.response.file_id,
      title: 'Job 42 (redacted)',
      filename: 'job-42.json',
      content: JOB,
      threadTs,
      initialComment: 'Full payload of job 42',
      messageTs: expect.any(String) as unknown,
    });
    // Like Slack, the upload is a message in the thread, carrying the file.
    expect(emulator.thread(CHANNEL, threadTs)).toEqual([
      expect.objectContaining({
        ts: file!.messageTs,
        thread_ts: threadTs,
        user: SANDBOX_IDS.botUser,
        text: 'Full payload of job 42',
        upload: true,
        files: [
          { id: file!.id, name: 'job-42.json', title: 'Job 42 (redacted)', size: Buffer.byteLength(JOB) },
        ],
      }),
    ]);
    expect(emulator.messages(CHANNEL)).toHaveLength(1);
  });

  it('shares into the channel itself without thread_ts, and nowhere without a channel', async () => {
    await client.files.uploadV2({ channel_id: CHANNEL, filename: 'a.json', content: '{}' });
    await client.files.uploadV2({ filename: 'private.json', content: '{"secret":true}' });
    expect(emulator.files(CHANNEL).map((file) => [file.filename, file.title, file.threadTs])).toEqual([
      ['a.json', 'a.json', undefined],
    ]);
    expect(emulator.messages(CHANNEL).map((message) => message.files?.[0]?.name)).toEqual(['a.json']);
  });

  it('refuses an unknown thread or channel, leaving the upload pending', async () => {
    await expect(
      client.files.uploadV2({
        channel_id: CHANNEL,
        thread_ts: '1.000001',
        filename: 'x.json',
        content: '{}',
      }),
    ).rejects.toMatchObject(platformError('thread_not_found'));
    await expect(
      client.files.uploadV2({ channel_id: 'C0NOWHERE', filename: 'x.json', content: '{}' }),
    ).rejects.toMatchObject(platformError('channel_not_found'));
    expect(emulator.files(CHANNEL)).toEqual([]);
  });
});

describe('the upload steps one by one', () => {
  it('refuses to complete unknown ids, and ids already completed', async () => {
    await expect(
      client.files.completeUploadExternal({ files: [{ id: 'F0NOSUCHFILE' }], channel_id: CHANNEL }),
    ).rejects.toMatchObject(platformError('file_not_found'));

    await client.files.uploadV2({ channel_id: CHANNEL, filename: 'a.json', content: '{}' });
    const id = emulator.files(CHANNEL)[0]!.id;
    await expect(
      client.files.completeUploadExternal({ files: [{ id }], channel_id: CHANNEL }),
    ).rejects.toMatchObject(platformError('file_not_found'));
  });

  it('refuses bytes that do not match the declared length, and then the completion', async () => {
    const reserved = await client.files.getUploadURLExternal({ filename: 'job.json', length: 10 });
    const short = await fetch(reserved.upload_url!, { method: 'POST', body: 'too short' });
    expect(short.status).toBe(400);
    expect(await short.text()).toContain('declared 10 bytes, received 9');
    await expect(
      client.files.completeUploadExternal({ files: [{ id: reserved.file_id! }], channel_id: CHANNEL }),
    ).rejects.toMatchObject(platformError('file_not_found'));
    expect(emulator.calls.find((call) => call.method === 'file_upload')).toMatchObject({
      status: 400,
      response: { ok: false, error: 'length_mismatch' },
    });
  });

  it('accepts a raw body as well as a multipart one, and answers unknown upload URLs with 404', async () => {
    const reserved = await client.files.getUploadURLExternal({ filename: 'raw.txt', length: 5 });
    const uploaded = await fetch(reserved.upload_url!, { method: 'POST', body: 'hello' });
    expect(uploaded.status).toBe(200);
    await client.files.completeUploadExternal({
      files: [{ id: reserved.file_id!, title: 'Raw' }],
      channel_id: CHANNEL,
    });
    expect(emulator.files(CHANNEL)).toMatchObject([{ title: 'Raw', filename: 'raw.txt', content: 'hello' }]);

    const unknown = await fetch(`${emulator.baseUrl}/upload/F0NOSUCHFILE`, { method: 'POST', body: 'x' });
    expect(unknown.status).toBe(404);
  });

  it('refuses a reservation without a filename or a byte count', async () => {
    await expect(client.apiCall('files.getUploadURLExternal', { length: 3 })).rejects.toMatchObject(
      platformError('invalid_arguments'),
    );
    await expect(
      client.apiCall('files.getUploadURLExternal', { filename: 'a', length: 'x' }),
    ).rejects.toMatchObject(platformError('invalid_arguments'));
  });

  it('fails the upload step on an injected fault, so the client reports an HTTP error', async () => {
    emulator.failNext('file_upload');
    await expect(
      client.files.uploadV2({ channel_id: CHANNEL, filename: 'a.json', content: '{}' }),
    ).rejects.toMatchObject({ code: webApi.ErrorCode.HTTPError, statusCode: 500 });
    expect(emulator.files(CHANNEL)).toEqual([]);
  });
});
