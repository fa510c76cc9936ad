/**
 * RedisMonitor's attribution of commands to scripts, fed MONITOR lines by a stand-in server: an EVALSHA is
 * named by its SHA1, a same-slot bundle (EVAL or EVALSHA) by the label it carries, and the commands Lua runs
 * by the call before them.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type MonitoredCommand, RedisMonitor } from '../../../bench/redis-monitor.js';

const SHA = 'a'.repeat(40);
const LABEL = 'chorus:bundle(checkReplyTurn+readSlot)';
let server: Server | undefined;
let monitor: RedisMonitor | undefined;

afterEach(() => {
  monitor?.close();
  server?.close();
});

/** Starts a server answering MONITOR with `lines`, and collects what the monitor reports of them. */
async function monitorLines(lines: readonly string[]): Promise<MonitoredCommand[]> {
  const seen: MonitoredCommand[] = [];
  const sockets: Socket[] = [];
  server = createServer((socket) => {
    sockets.push(socket);
    socket.once('data', () => socket.write(`+OK\r\n${lines.map((line) => `${line}\r\n`).join('')}`));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  monitor = await RedisMonitor.start(`redis://127.0.0.1:${address.port}`, (command) => seen.push(command));
  while (seen.length < lines.length) await new Promise((resolve) => setTimeout(resolve, 1));
  for (const socket of sockets) socket.destroy();
  return seen;
}

describe('RedisMonitor', () => {
  it('names a script call by its SHA1, a bundle by its label, and Lua commands by the call that ran them', async () => {
    const seen = await monitorLines([
      `+1.1 [0 127.0.0.1:5] "evalsha" "${SHA}" "1" "p:{u:1}:a" "5"`,
      '+1.2 [0 lua] "incrby" "p:{u:1}:a" "5"',
      `+1.3 [0 127.0.0.1:5] "evalsha" "${'b'.repeat(40)}" "2" "p:{u:1}:\\"quoted\\" key" "p:{u:1}:b" "${LABEL}" "1" "0"`,
      '+1.4 [0 lua] "get" "p:{u:1}:b"',
      `+1.5 [0 127.0.0.1:5] "eval" "local x = \\"a\\"\\nreturn x" "1" "p:{u:1}:a" "${LABEL}" "1" "0"`,
      '+1.6 [0 127.0.0.1:5] "get" "p:{u:1}:a"',
    ]);
    expect(seen.map(({ name, fromScript, script }) => ({ name, fromScript, script }))).toEqual([
      { name: 'evalsha', fromScript: false, script: SHA },
      { name: 'incrby', fromScript: true, script: SHA },
      { name: 'evalsha', fromScript: false, script: LABEL },
      { name: 'get', fromScript: true, script: LABEL },
      { name: 'eval', fromScript: false, script: LABEL },
      { name: 'get', fromScript: false, script: null },
    ]);
  });

  it('names a script sent whole (EVAL) that is no bundle `eval`', async () => {
    const seen = await monitorLines(['+1.1 [0 127.0.0.1:5] "eval" "return 1" "0" "chorus:other"']);
    expect(seen[0]?.script).toBe('eval');
  });
});
