import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMAND } from '../blocks/ids';

const manifest = readFileSync(join(__dirname, '..', 'manifest.yml'), 'utf8');

/** Values of `key:` lines, unquoted (enough YAML for a flat manifest). */
function valuesOf(key: string): string[] {
  return [...manifest.matchAll(new RegExp(`^\\s*-?\\s*${key}:\\s*"?([^"\\n#]+?)"?\\s*$`, 'gm'))].map(
    (m) => m[1] ?? '',
  );
}

function scopes(): string[] {
  const block = /bot:\n((?:\s+(?:-\s+\S+|#.*)\n)+)/.exec(manifest)?.[1] ?? '';
  return [...block.matchAll(/-\s+(\S+)/g)].map((m) => m[1] ?? '');
}

describe('manifest.yml', () => {
  it('declares the command the handlers register', () => {
    expect(valuesOf('command')).toEqual([COMMAND]);
  });

  it('sends commands and interactivity to the HTTP receiver endpoint', () => {
    for (const url of [...valuesOf('url'), ...valuesOf('request_url')])
      expect(new URL(url).pathname).toBe('/slack/events');
    expect(valuesOf('is_enabled')).toEqual(['true']);
  });

  it('asks for exactly the scopes the bot uses, each with its reason beside it', () => {
    expect(scopes()).toEqual(['chat:write', 'commands', 'files:write', 'usergroups:read']);
    for (const scope of scopes()) expect(manifest).toMatch(new RegExp(`# ${scope}: \\S`));
  });

  it('declares Socket Mode', () => {
    expect(valuesOf('socket_mode_enabled')).toHaveLength(1);
  });
});
