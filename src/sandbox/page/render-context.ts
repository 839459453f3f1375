/**
 * What the renderer needs from the sandbox world: names for the ids that
 * mentions carry. Lookups, not data, so the renderer stays pure and a later
 * step can answer from live sandbox state.
 */
export interface RenderContext {
  userName(id: string): string | undefined;
  channelName(id: string): string | undefined;
}
