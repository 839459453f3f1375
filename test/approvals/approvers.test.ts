import { isAllowedApprover } from '../../src/approvals/approvers';
import type { ApproverDirectory } from '../../src/approvals/approvers';

/** Groups by id; a group mapped to an Error makes the directory reject for it. */
function directory(
  groups: Record<string, readonly string[] | Error>,
): ApproverDirectory & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    groupMembers(groupId: string): Promise<readonly string[]> {
      asked.push(groupId);
      const members = groups[groupId];
      if (members instanceof Error) return Promise.reject(members);
      return Promise.resolve(members ?? []);
    },
  };
}

const REQ = 'U0REQ';

describe('isAllowedApprover', () => {
  it('allows a user listed directly without asking the directory', async () => {
    const dir = directory({ S0OPS: ['U0OTHER'] });
    const result = await isAllowedApprover({
      userId: 'U0APP',
      requesterId: REQ,
      approvers: ['S0OPS', 'U0APP'],
      directory: dir,
    });
    expect(result.allowed).toBe(true);
    expect(dir.asked).toEqual([]);
  });

  it('allows an Enterprise Grid W… user id', async () => {
    const result = await isAllowedApprover({
      userId: 'W0GRID',
      requesterId: REQ,
      approvers: ['W0GRID'],
      directory: directory({}),
    });
    expect(result).toMatchObject({ allowed: true });
  });

  it('allows a member of a listed group and stops at the first hit', async () => {
    const dir = directory({ S0A: ['U0X'], S0B: ['U0APP'], S0C: ['U0APP'] });
    const result = await isAllowedApprover({
      userId: 'U0APP',
      requesterId: REQ,
      approvers: ['S0A', 'S0B', 'S0C'],
      directory: dir,
    });
    expect(result.allowed).toBe(true);
    expect(result.reason).toContain('S0B');
    expect(dir.asked).toEqual(['S0A', 'S0B']);
  });

  it('refuses someone neither listed nor in a listed group', async () => {
    const result = await isAllowedApprover({
      userId: 'U0NOBODY',
      requesterId: REQ,
      approvers: ['U0APP', 'S0OPS'],
      directory: directory({ S0OPS: ['U0APP'] }),
    });
    expect(result.allowed).toBe(false);
    expect(result.reason).toMatch(/not an allowed approver/);
  });

  it('refuses the requester even when listed directly or through a group', async () => {
    const dir = directory({ S0OPS: [REQ] });
    const result = await isAllowedApprover({
      userId: REQ,
      requesterId: REQ,
      approvers: [REQ, 'S0OPS'],
      directory: dir,
    });
    expect(result).toEqual({
      allowed: false,
      reason: 'you asked for this batch; a second person must approve',
    });
    expect(dir.asked).toEqual([]);
  });

  it('allows nobody when APPROVERS is empty', async () => {
    const result = await isAllowedApprover({
      userId: 'U0APP',
      requesterId: REQ,
      approvers: [],
      directory: directory({}),
    });
    expect(result).toEqual({ allowed: false, reason: 'no approvers are configured: set APPROVERS' });
  });

  it('does not fail open when the directory throws, and says the group could not be checked', async () => {
    const result = await isAllowedApprover({
      userId: 'U0APP',
      requesterId: REQ,
      approvers: ['S0DOWN'],
      directory: directory({ S0DOWN: new Error('ratelimited') }),
    });
    expect(result.allowed).toBe(false);
    expect(result.reason).toMatch(/S0DOWN could not be checked/);
  });

  it('still finds the user in a later group after one group fails', async () => {
    const result = await isAllowedApprover({
      userId: 'U0APP',
      requesterId: REQ,
      approvers: ['S0DOWN', 'S0OK'],
      directory: directory({ S0DOWN: new Error('boom'), S0OK: ['U0APP'] }),
    });
    expect(result.allowed).toBe(true);
  });

  it('does not treat a group id as a user id', async () => {
    const result = await isAllowedApprover({
      userId: 'S0OPS',
      requesterId: REQ,
      approvers: ['S0OPS'],
      directory: directory({}),
    });
    expect(result.allowed).toBe(false);
  });
});
