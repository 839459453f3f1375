export {
  SlackEmulator,
  type BlockActionResponse,
  type DeliveryOptions,
  type DeliveryResponse,
  type SendBlockActionOptions,
  type SendSlashCommandOptions,
  type SlackEmulatorOptions,
  type SlashCommandResponse,
} from './emulator';
export type { AppResponse, RawRequest, SignedRequestOptions } from './app-client';
export { describeCalls, type CallPredicate, type RecordedCall } from './call-log';
export type { Fault } from './faults';
export type { BlockActionPayload, SlashCommandForm } from './payloads';
export type { SandboxFile } from './files';
export type { EnvelopeType, SocketAck } from './socket-mode';
export type { SandboxEphemeral, SandboxMessage, SandboxMessageFile } from './state';
export {
  signSlackRequest,
  slackRequestHeaders,
  type SlackRequestHeaderOptions,
  type SlackRequestHeaders,
} from './signing';
export { SUPPORTED_METHODS } from './web-api';
export {
  defaultWorld,
  SANDBOX_IDS,
  type SandboxBot,
  type SandboxChannel,
  type SandboxTeam,
  type SandboxUser,
  type SandboxUserGroup,
  type SandboxWorld,
} from './world';
