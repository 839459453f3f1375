/**
 * What BullMQ's `getWorkers()` returns instead of a list when the server
 * refuses CLIENT LIST (managed Redis such as GCP Memorystore): one fake entry.
 * Counting it would report one worker on a queue that may have none.
 */
export const CLIENT_LIST_PLACEHOLDER = 'GCP does not support client list';

/**
 * Entries parsed from CLIENT LIST always carry the connection's `addr` and
 * `rawname`; the placeholder carries only `name`.
 */
export function workersFromClients(clients: readonly Readonly<Record<string, string>>[]): number | null {
  const placeholder = clients.some(
    (client) =>
      client['name'] === CLIENT_LIST_PLACEHOLDER ||
      (client['addr'] === undefined && client['rawname'] === undefined),
  );
  return placeholder ? null : clients.length;
}
