import { describe, expect, it } from 'vitest';
import { type BotRequestKind, classifyBotRequest } from '../../../src/discord-rest/index.js';

const API = 'https://discord.com/api/v10';
const BOT = 'Bot abc.def.ghi';

describe('classifyBotRequest', () => {
  it.each<[string, string, string | null, BotRequestKind]>([
    [`${API}/channels/123/messages`, 'POST', BOT, 'limited'],
    [`${API}/channels/123/messages?limit=50&after=9`, 'GET', BOT, 'limited'],
    [`${API}/users/@me/channels`, 'POST', BOT, 'limited'],
    [`${API}/channels/123/webhooks`, 'POST', BOT, 'limited'],
    [`${API}/channels/123/typing`, 'POST', BOT, 'typing'],
    [`${API}/channels/123/typing`, 'post', BOT, 'typing'],
    [`${API}/interactions/456/a-token/callback`, 'POST', BOT, 'exempt'],
    [`${API}/webhooks/789/a-token/messages/@original`, 'PATCH', BOT, 'exempt'],
    [`${API}/webhooks/789/a-token/messages/@original`, 'PATCH', null, 'exempt'],
    [`${API}/webhooks/789/a-token?wait=true`, 'POST', null, 'exempt'],
    [`${API}/channels/123/messages`, 'POST', 'Bearer oauth-token', 'exempt'],
    [`http://127.0.0.1:3000/api/v10/channels/123/typing`, 'POST', BOT, 'typing'],
  ])('%s %s with %s is %s', (url, method, authorization, kind) => {
    expect(classifyBotRequest(url, method, authorization)).toBe(kind);
  });
});
