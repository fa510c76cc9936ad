import { createConnection, type Socket } from 'node:net';
import { BUNDLE_LABEL_PREFIX } from '../src/redis/index.js';

/** One command as MONITOR reports it. */
export interface MonitoredCommand {
  /** Lowercase command name. */
  readonly name: string;
  /** Run by a Lua script rather than sent by a client. */
  readonly fromScript: boolean;
  /** The whole line (quoted arguments), for filtering by key prefix. */
  readonly line: string;
  /**
   * The script this command is or runs in: an EVALSHA's SHA1, `eval` for an EVAL (a script's first call, before
   * Redis caches it), a same-slot bundle's label (`chorus:bundle(<script>+<script>…)`, its first ARGV: its SHA1
   * is made at run time), and for a command run by Lua the script that ran it; null for a plain command.
   */
  readonly script: string | null;
}

const SCRIPT_CALLS = new Set(['evalsha', 'evalsha_ro', 'eval', 'eval_ro']);

/**
 * A raw `MONITOR` connection: every command the server runs, as a callback. Plain TCP and line parsing on
 * purpose: MONITOR's replies are simple strings, and a client library's monitor mode would race its own
 * command queue under load.
 */
export class RedisMonitor {
  #buffer = '';
  #ready = false;
  /** The last script call seen: Redis runs a script's commands right after its EVALSHA line, nothing between. */
  #script: string | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly onCommand: (command: MonitoredCommand) => void,
  ) {}

  /** Connects to `url` (redis://host:port, no auth) and starts monitoring. */
  static async start(url: string, onCommand: (command: MonitoredCommand) => void): Promise<RedisMonitor> {
    const { hostname, port } = new URL(url);
    const socket = createConnection({ host: hostname, port: Number(port || 6379) });
    const monitor = new RedisMonitor(socket, onCommand);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.on('data', (chunk: Buffer) => {
        if (monitor.#consume(chunk.toString('latin1'))) resolve();
      });
      socket.once('connect', () => socket.write('MONITOR\r\n'));
    });
    return monitor;
  }

  close(): void {
    this.socket.destroy();
  }

  /** Returns true once MONITOR was acknowledged. */
  #consume(text: string): boolean {
    this.#buffer += text;
    let end = this.#buffer.indexOf('\r\n');
    while (end >= 0) {
      const line = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      end = this.#buffer.indexOf('\r\n');
      if (!this.#ready) {
        if (line === '+OK') this.#ready = true;
        else if (line.startsWith('-')) this.socket.destroy(new Error(`MONITOR refused: ${line}`));
        continue;
      }
      // +1795440813.626936 [0 127.0.0.1:54870] "evalsha" "…" …
      const sourceEnd = line.indexOf('] "');
      if (!line.startsWith('+') || sourceEnd < 0) continue;
      const nameEnd = line.indexOf('"', sourceEnd + 3);
      const name = line.slice(sourceEnd + 3, nameEnd).toLowerCase();
      const fromScript = line.slice(0, sourceEnd).endsWith(' lua');
      if (!fromScript) this.#script = SCRIPT_CALLS.has(name) ? parseScriptId(name, line, nameEnd) : null;
      this.onCommand({ name, fromScript, line, script: this.#script });
    }
    return this.#ready;
  }
}

/** A script call's id (see {@link MonitoredCommand.script}) from its MONITOR line. */
function parseScriptId(name: string, line: string, nameEnd: number): string {
  const params = readQuotedArguments(line, nameEnd + 1);
  const script = params.next().value ?? '';
  const keyCount = Number(params.next().value ?? 0);
  for (let key = 0; key < keyCount; key += 1) params.next();
  const firstArg = params.next().value;
  if (firstArg?.startsWith(BUNDLE_LABEL_PREFIX)) return firstArg;
  return name.startsWith('evalsha') ? script : 'eval';
}

/** A MONITOR line's quoted arguments from `from` on, as written (escapes kept: only their ends matter here). */
function* readQuotedArguments(line: string, from: number): Generator<string, void> {
  let start = line.indexOf('"', from);
  while (start >= 0) {
    let end = start + 1;
    while (end < line.length && line[end] !== '"') end += line[end] === '\\' ? 2 : 1;
    yield line.slice(start + 1, end);
    start = line.indexOf('"', end + 1);
  }
}
