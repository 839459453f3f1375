import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { COMMAND } from '../blocks/ids';

const ROOT = join(__dirname, '..');
const manifest = readFileSync(join(ROOT, 'manifest.yml'), 'utf8');

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

/**
 * The bot scope each Slack Web API method the bot calls needs, from Slack's
 * method reference (api.slack.com/methods/<method>). `null`: no scope.
 * A method missing here fails the test: look up its scope and add both.
 */
const SCOPE_OF_METHOD: Readonly<Record<string, string | null>> = {
  'chat.postMessage': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'chat.update': 'chat:write',
  'chat.getPermalink': null,
  // Bolt's client helper: files.getUploadURLExternal + files.completeUploadExternal.
  'files.uploadV2': 'files:write',
  'usergroups.users.list': 'usergroups:read',
  // Bolt calls it at start to learn the bot's own ids.
  'auth.test': null,
};

/** What the bot receives rather than calls, and the scope that makes Slack send it. */
const SCOPE_OF_SURFACE: Readonly<Record<string, string>> = { slash_commands: 'commands' };

/** Every .ts file the running bot loads, except the local Slack emulator (it serves these methods). */
function botSources(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) files.push(path);
    }
  };
  for (const dir of ['handlers', 'src', 'blocks']) walk(join(ROOT, dir));
  return files.filter((file) => !relative(ROOT, file).startsWith(join('src', 'sandbox')));
}

/** `client.chat.postMessage(` → `chat.postMessage`; `say(` is chat.postMessage too. */
function webApiMethodsUsed(): Map<string, string[]> {
  const used = new Map<string, string[]>();
  const add = (method: string, file: string) => used.set(method, [...(used.get(method) ?? []), file]);
  for (const file of botSources()) {
    const text = readFileSync(file, 'utf8');
    const where = relative(ROOT, file);
    for (const m of text.matchAll(/\bclient\.((?:[a-z]+\.)+[a-zA-Z0-9]+)\(/g)) add(m[1] ?? '', where);
    for (const m of text.matchAll(/\bapiCall\(\s*'([a-z.A-Z]+)'/g)) add(m[1] ?? '', where);
    if (/\bawait say\(/.test(text)) add('chat.postMessage', where);
  }
  add('auth.test', 'src/app.ts (Bolt at start)');
  return used;
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

  it('finds the Web API calls it checks (the scan would otherwise pass by finding nothing)', () => {
    const used = webApiMethodsUsed();
    expect([...used.keys()]).toEqual(
      expect.arrayContaining(['chat.postMessage', 'chat.update', 'usergroups.users.list', 'files.uploadV2']),
    );
  });

  it('knows the scope of every Web API method the bot calls', () => {
    const unknown = [...webApiMethodsUsed()].filter(([method]) => !(method in SCOPE_OF_METHOD));
    expect(unknown).toEqual([]);
  });

  it('asks for exactly the scopes the calls and surfaces need: a call without its scope, or a scope without a use, fails', () => {
    const needed = new Set<string>();
    for (const method of webApiMethodsUsed().keys()) {
      const scope = SCOPE_OF_METHOD[method];
      if (scope) needed.add(scope);
    }
    for (const [surface, scope] of Object.entries(SCOPE_OF_SURFACE)) {
      if (new RegExp(`^\\s*${surface}:`, 'm').test(manifest)) needed.add(scope);
    }
    expect([...scopes()].sort()).toEqual([...needed].sort());
    expect(scopes()).toEqual(['chat:write', 'commands', 'files:write', 'usergroups:read']);
  });

  it('gives each scope its reason beside it', () => {
    for (const scope of scopes()) expect(manifest).toMatch(new RegExp(`# ${scope}: \\S`));
  });

  it('asks for no user scopes and subscribes to no events: the bot handles none', () => {
    expect(manifest).not.toMatch(/^\s*user:/m);
    expect(manifest).not.toMatch(/event_subscriptions|bot_events/);
    const handlers = botSources().map((file) => readFileSync(file, 'utf8'));
    expect(handlers.some((text) => /\bapp\.(event|message)\(/.test(text))).toBe(false);
  });

  it('declares Socket Mode', () => {
    expect(valuesOf('socket_mode_enabled')).toHaveLength(1);
  });
});
