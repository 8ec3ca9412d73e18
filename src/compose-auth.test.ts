import { describe, expect, it } from 'vitest';
import { anonymousActions, isLoopback } from './compose-auth.js';
import { loadConfig } from './config/config.js';
import { ConfigError } from './config/errors.js';

const actions = (env: Record<string, string>) => [...anonymousActions(loadConfig(env))].sort();

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
    ['pacs.example.org', false],
    ['127.0.0.1.example.org', false],
  ])('%s → %s', (host, loopback) => {
    expect(isLoopback(host)).toBe(loopback);
  });
});

describe('anonymousActions', () => {
  it('opens a bare loopback server to its own machine, every action but admin', () => {
    expect(actions({})).toEqual(['delete', 'read', 'write']);
    expect(actions({ HOST: '::1' })).toEqual(['delete', 'read', 'write']);
  });

  it('#12: refuses a non-loopback HOST without AUTH_METHODS and AUTH_ANONYMOUS, naming both', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.10']) {
      const refuse = () => anonymousActions(loadConfig({ HOST: host }));
      expect(refuse).toThrow(ConfigError);
      expect(refuse).toThrow(/^AUTH_METHODS: .*AUTH_ANONYMOUS/);
    }
  });

  it('serves a non-loopback HOST without credentials only as AUTH_ANONYMOUS says', () => {
    expect(actions({ HOST: '0.0.0.0', AUTH_ANONYMOUS: 'read' })).toEqual(['read']);
    expect(actions({ HOST: '0.0.0.0', AUTH_ANONYMOUS: 'write' })).toEqual(['read', 'write']);
    expect(actions({ HOST: '0.0.0.0', AUTH_ANONYMOUS: 'all' })).toEqual([
      'delete',
      'read',
      'write',
    ]);
    expect(actions({ HOST: '0.0.0.0', AUTH_ANONYMOUS: 'none', AUTH_METHODS: 'api-key' })).toEqual(
      [],
    );
  });

  it('gives anonymous requests nothing once AUTH_METHODS is set, on any HOST', () => {
    expect(actions({ HOST: '0.0.0.0', AUTH_METHODS: 'api-key' })).toEqual([]);
    expect(actions({ AUTH_METHODS: 'api-key' })).toEqual([]);
  });
});
