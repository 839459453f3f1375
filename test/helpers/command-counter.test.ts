import { parseMonitorLine } from './command-counter';

describe('parseMonitorLine', () => {
  it('reads the client address and unescapes arguments', () => {
    const line = String.raw`+1795862491.984475 [0 127.0.0.1:53184] "hset" "q:1" "data" "{\"a\":\"x\\y\"}" "bin" "\x00\xff" "nl" "a\nb"`;
    expect(parseMonitorLine(line)).toEqual({
      source: '127.0.0.1:53184',
      args: ['hset', 'q:1', 'data', '{"a":"x\\y"}', 'bin', '\u0000\u00ff', 'nl', 'a\nb'],
    });
  });

  it('marks commands run by a script as lua', () => {
    expect(parseMonitorLine('+1.2 [0 lua] "zadd" "k" "1" "m"')).toEqual({
      source: 'lua',
      args: ['zadd', 'k', '1', 'm'],
    });
  });

  it('ignores lines that are not commands', () => {
    expect(parseMonitorLine('+OK')).toBeUndefined();
  });
});
