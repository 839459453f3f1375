import type { webApi } from '@slack/bolt';
import { GROUP_CACHE_MS, slackApproverDirectory } from '../../../handlers/replay/approver-directory';
import { isAllowedApprover } from '../../../src/approvals/approvers';

type ListAnswer = { ok: boolean; users?: unknown[]; error?: string };

/** A WebClient with only `usergroups.users.list`, answering from `answers` in turn (an Error rejects). */
function fakeClient(...answers: (ListAnswer | Error)[]) {
  const asked: string[] = [];
  const list = (args: { usergroup: string }): Promise<ListAnswer> => {
    asked.push(args.usergroup);
    const answer = answers.length > 1 ? answers.shift() : answers[0];
    if (answer === undefined) return Promise.reject(new Error('no answer scripted'));
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  };
  const client = { usergroups: { users: { list } } } as unknown as webApi.WebClient;
  return { client, asked };
}

const T0 = 1_750_000_000_000;

describe('slackApproverDirectory', () => {
  let now: number;
  const clock = () => now;
  beforeEach(() => {
    now = T0;
  });

  it("returns the group's member ids as Slack lists them", async () => {
    const { client, asked } = fakeClient({ ok: true, users: ['U1', 'U2', 7, null] });
    const directory = slackApproverDirectory(client, clock);

    expect(await directory.groupMembers('S0OPS')).toEqual(['U1', 'U2']);
    expect(asked).toEqual(['S0OPS']);
  });

  it('shares one call among clicks that arrive before the first answer, and a failed one is not kept', async () => {
    const { client, asked } = fakeClient(new Error('slack down'), { ok: true, users: ['U1'] });
    const directory = slackApproverDirectory(client, clock);

    const burst = await Promise.allSettled([1, 2, 3].map(() => directory.groupMembers('S0OPS')));
    expect(burst.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(asked).toEqual(['S0OPS']);
    expect(await Promise.all([directory.groupMembers('S0OPS'), directory.groupMembers('S0OPS')])).toEqual([
      ['U1'],
      ['U1'],
    ]);
    expect(asked).toEqual(['S0OPS', 'S0OPS']);
  });

  it('asks Slack once per group while the answer is younger than GROUP_CACHE_MS', async () => {
    const { client, asked } = fakeClient({ ok: true, users: ['U1'] });
    const directory = slackApproverDirectory(client, clock);

    await directory.groupMembers('S0OPS');
    now = T0 + GROUP_CACHE_MS - 1;
    expect(await directory.groupMembers('S0OPS')).toEqual(['U1']);
    expect(asked).toEqual(['S0OPS']);

    // Another group has its own cache entry.
    await directory.groupMembers('S0SRE');
    expect(asked).toEqual(['S0OPS', 'S0SRE']);
  });

  it('asks again once the cached answer is GROUP_CACHE_MS old, and returns the new members', async () => {
    const { client, asked } = fakeClient({ ok: true, users: ['U1', 'U2'] }, { ok: true, users: ['U2'] });
    const directory = slackApproverDirectory(client, clock);

    expect(await directory.groupMembers('S0OPS')).toEqual(['U1', 'U2']);
    now = T0 + GROUP_CACHE_MS;
    expect(await directory.groupMembers('S0OPS')).toEqual(['U2']);
    expect(asked).toEqual(['S0OPS', 'S0OPS']);
  });

  it('rejects when the call fails, and does not cache the failure', async () => {
    const { client, asked } = fakeClient(new Error('ratelimited'), { ok: true, users: ['U1'] });
    const directory = slackApproverDirectory(client, clock);

    await expect(directory.groupMembers('S0OPS')).rejects.toThrow('ratelimited');
    expect(await directory.groupMembers('S0OPS')).toEqual(['U1']);
    expect(asked).toEqual(['S0OPS', 'S0OPS']);
  });

  it('rejects an ok:false answer with its error, even one listing users, and asks again next time', async () => {
    const { client, asked } = fakeClient(
      { ok: false, error: 'no_such_subteam', users: ['U-STALE'] },
      { ok: true, users: ['U1'] },
    );
    const directory = slackApproverDirectory(client, clock);

    await expect(directory.groupMembers('S0OPS')).rejects.toThrow('usergroups.users.list: no_such_subteam');
    expect(await directory.groupMembers('S0OPS')).toEqual(['U1']);
    expect(asked).toHaveLength(2);
  });

  it('rejects an ok answer without a users list', async () => {
    const { client } = fakeClient({ ok: true });
    await expect(slackApproverDirectory(client, clock).groupMembers('S0OPS')).rejects.toThrow('no users');
  });

  it('makes isAllowedApprover fail closed when Slack cannot be asked', async () => {
    const { client } = fakeClient(new Error('fetch failed'));

    const decision = await isAllowedApprover({
      userId: 'U1',
      requesterId: 'U-REQ',
      approvers: ['S0OPS'],
      directory: slackApproverDirectory(client, clock),
    });

    expect(decision.allowed).toBe(false);
    expect(decision.reason).toMatch(/S0OPS could not be checked/);
  });

  it('lets isAllowedApprover allow a member once Slack answers again', async () => {
    const { client } = fakeClient(new Error('fetch failed'), { ok: true, users: ['U1'] });
    const directory = slackApproverDirectory(client, clock);
    const check = { userId: 'U1', requesterId: 'U-REQ', approvers: ['S0OPS'], directory };

    expect((await isAllowedApprover(check)).allowed).toBe(false);
    expect(await isAllowedApprover(check)).toEqual({
      allowed: true,
      reason: 'member of approver group S0OPS',
    });
  });
});
