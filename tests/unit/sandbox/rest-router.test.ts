import { describe, expect, it } from 'vitest';
import { RestRouter } from '../../../sandbox/rest-router.js';

function router(): RestRouter {
  const result = new RestRouter();
  const handler = () => ({ status: 204 });
  result.add({ method: 'GET', template: '/users/@me', auth: 'bot', handler });
  result.add({ method: 'GET', template: '/users/:userId', auth: 'bot', handler });
  result.add({ method: 'POST', template: '/channels/:channelId/messages', auth: 'bot', handler });
  result.add({ method: 'POST', template: '/webhooks/:webhookId/:token', auth: 'none', handler });
  result.add({ method: 'GET', template: '/guilds/:guildId/members/:userId', auth: 'bot', handler });
  return result;
}

describe('RestRouter', () => {
  describe('when a route matches', () => {
    it.each([
      ['GET', '/users/@me', 'GET /users/@me', 'global'],
      ['GET', '/users/123', 'GET /users/:id', 'global'],
      ['POST', '/channels/55/messages', 'POST /channels/:id/messages', '55'],
      ['POST', '/webhooks/77/secret', 'POST /webhooks/:id/:token', '77/secret'],
      ['GET', '/guilds/9/members/8', 'GET /guilds/:id/members/:id', '9'],
    ])('matches %s %s as %s with major %s', (method, path, name, majorId) => {
      const match = router().match(method, path);
      expect(match).toMatchObject({ name, majorId });
    });

    it('prefers the literal route registered first', () => {
      const match = router().match('GET', '/users/@me');
      expect(match !== null && match !== 'method-not-allowed' && match.route.template).toBe('/users/@me');
    });
  });

  describe('when nothing matches', () => {
    it('tells a wrong method from an unknown path', () => {
      expect(router().match('DELETE', '/channels/1/messages')).toBe('method-not-allowed');
      expect(router().match('GET', '/nope')).toBeNull();
    });
  });
});
