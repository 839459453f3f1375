/**
 * Who may approve a replay batch (invariant 2). A port with no Slack types, so
 * the rule is tested with a fake directory and the adapter (usergroups.users.list)
 * stays a thin layer.
 */
export interface ApproverDirectory {
  /** User ids in a Slack user group (`S…`). May reject: the rule treats that as "not a member". */
  groupMembers(groupId: string): Promise<readonly string[]>;
}

export interface ApproverCheck {
  readonly userId: string;
  readonly requesterId: string;
  /** APPROVERS: user ids (`U…`, or `W…` on Enterprise Grid) and user-group ids (`S…`). */
  readonly approvers: readonly string[];
  readonly directory: ApproverDirectory;
}

export interface ApproverDecision {
  readonly allowed: boolean;
  /** Shown to the person who clicked, so it says what to do, not just "no". */
  readonly reason: string;
}

const isGroupId = (id: string): boolean => id.startsWith('S');

export async function isAllowedApprover(check: ApproverCheck): Promise<ApproverDecision> {
  const { userId, requesterId, approvers, directory } = check;
  // Checked first and whatever APPROVERS says: the second pair of eyes is the point.
  if (userId === requesterId) {
    return { allowed: false, reason: 'you asked for this batch; a second person must approve' };
  }
  if (approvers.length === 0) {
    return { allowed: false, reason: 'no approvers are configured: set APPROVERS' };
  }
  // Group ids never name a user, so a direct match only counts against user ids.
  if (approvers.some((id) => !isGroupId(id) && id === userId)) {
    return { allowed: true, reason: 'listed in APPROVERS' };
  }
  const unchecked: string[] = [];
  // One group at a time, stopping at the first hit: most approvers sit in the first group listed.
  for (const groupId of approvers.filter(isGroupId)) {
    let members: readonly string[];
    try {
      members = await directory.groupMembers(groupId);
    } catch {
      // Never fail open: a group we cannot read grants nothing.
      unchecked.push(groupId);
      continue;
    }
    if (members.includes(userId)) {
      return { allowed: true, reason: `member of approver group ${groupId}` };
    }
  }
  if (unchecked.length > 0) {
    return {
      allowed: false,
      reason: `not a listed approver, and approver group(s) ${unchecked.join(', ')} could not be checked; try again or ask another approver`,
    };
  }
  return { allowed: false, reason: 'not an allowed approver: ask someone listed in APPROVERS' };
}
