/** The ids the default world seeds, so tests and fixtures can name them without a world at hand. */
export const SANDBOX_IDS = {
  team: 'T0SANDBOX',
  app: 'A0STUCKJOBS',
  bot: 'B0STUCKJOBS',
  botUser: 'U0STUCKJOBS',
  requester: 'U0REQUESTER',
  approver: 'U0APPROVER',
  approvers: 'S0APPROVERS',
  incidentChannel: 'C0INCIDENT',
} as const;

export interface SandboxTeam {
  readonly id: string;
  readonly name: string;
  /** `<domain>.slack.com`; slash commands carry it as `team_domain`. */
  readonly domain: string;
}

export interface SandboxBot {
  readonly appId: string;
  readonly botId: string;
  readonly userId: string;
  readonly name: string;
}

export interface SandboxUser {
  readonly id: string;
  /** The handle (`user_name` in slash commands). */
  readonly name: string;
  readonly realName: string;
  readonly displayName: string;
  readonly isBot?: boolean;
}

export interface SandboxUserGroup {
  readonly id: string;
  readonly handle: string;
  readonly name: string;
  readonly userIds: readonly string[];
}

export interface SandboxChannel {
  readonly id: string;
  /** Without the `#`, as Slack sends it. */
  readonly name: string;
  readonly isPrivate?: boolean;
}

export interface SandboxWorld {
  readonly team: SandboxTeam;
  readonly bot: SandboxBot;
  /** The deprecated verification token Slack still puts in every payload. */
  readonly verificationToken: string;
  readonly users: readonly SandboxUser[];
  readonly userGroups: readonly SandboxUserGroup[];
  readonly channels: readonly SandboxChannel[];
  /** Who sends commands and clicks unless a test says otherwise. */
  readonly requesterId: string;
  readonly approverId: string;
  /** Where commands and clicks happen unless a test says otherwise. */
  readonly incidentChannelId: string;
}

/** A team with one requester, one approver in the approvers' group, and the incident channel. */
export function defaultWorld(overrides: Partial<SandboxWorld> = {}): SandboxWorld {
  const bot: SandboxBot = {
    appId: SANDBOX_IDS.app,
    botId: SANDBOX_IDS.bot,
    userId: SANDBOX_IDS.botUser,
    name: 'stuckjobs',
  };
  return {
    team: { id: SANDBOX_IDS.team, name: 'Sandbox', domain: 'stuckjobs-sandbox' },
    bot,
    verificationToken: 'sandbox-verification-token',
    users: [
      { id: SANDBOX_IDS.requester, name: 'riley', realName: 'Riley Requester', displayName: 'Riley' },
      { id: SANDBOX_IDS.approver, name: 'avery', realName: 'Avery Approver', displayName: 'Avery' },
      { id: bot.userId, name: bot.name, realName: 'stuckjobs', displayName: 'stuckjobs', isBot: true },
    ],
    userGroups: [
      {
        id: SANDBOX_IDS.approvers,
        handle: 'incident-approvers',
        name: 'Incident approvers',
        userIds: [SANDBOX_IDS.approver],
      },
    ],
    channels: [{ id: SANDBOX_IDS.incidentChannel, name: 'inc-ops-stalled' }],
    requesterId: SANDBOX_IDS.requester,
    approverId: SANDBOX_IDS.approver,
    incidentChannelId: SANDBOX_IDS.incidentChannel,
    ...overrides,
  };
}

export const findUser = (world: SandboxWorld, id: string): SandboxUser | undefined =>
  world.users.find((user) => user.id === id);

export const findChannel = (world: SandboxWorld, id: string): SandboxChannel | undefined =>
  world.channels.find((channel) => channel.id === id);

export const findUserGroup = (world: SandboxWorld, id: string): SandboxUserGroup | undefined =>
  world.userGroups.find((group) => group.id === id);
