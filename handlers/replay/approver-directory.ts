import type { webApi } from '@slack/bolt';
import type { ApproverDirectory } from '../../src/approvals/approvers';

/**
 * Short enough that someone removed from the approvers' group loses the right
 * within a minute; long enough that a burst of clicks costs one call
 * (usergroups.users.list is Tier 2, about 20 calls a minute).
 */
export const GROUP_CACHE_MS = 30_000;

/**
 * APPROVERS user groups, read from Slack. Only answers are cached: a failed
 * call rejects, and the approver rule treats that as "not a member" (fails closed).
 */
export function slackApproverDirectory(
  client: webApi.WebClient,
  now: () => number = Date.now,
): ApproverDirectory {
  const cache = new Map<string, { readonly at: number; readonly members: readonly string[] }>();
  // Clicks that arrive while the first answer is on its way share that one call.
  const inFlight = new Map<string, Promise<readonly string[]>>();
  const ask = async (groupId: string): Promise<readonly string[]> => {
    const answer = await client.usergroups.users.list({ usergroup: groupId });
    if (!answer.ok || !Array.isArray(answer.users))
      throw new Error(`usergroups.users.list: ${answer.error ?? 'no users'}`);
    const members = answer.users.filter((id): id is string => typeof id === 'string');
    cache.set(groupId, { at: now(), members });
    return members;
  };
  return {
    groupMembers(groupId: string): Promise<readonly string[]> {
      const cached = cache.get(groupId);
      if (cached && now() - cached.at < GROUP_CACHE_MS) return Promise.resolve(cached.members);
      const pending =
        inFlight.get(groupId) ??
        ask(groupId).finally(() => {
          inFlight.delete(groupId);
        });
      inFlight.set(groupId, pending);
      return pending;
    },
  };
}
