import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { ConfigError } from './errors.js';
import { parseRemoteAe } from './dimse-settings.js';

describe('DIMSE settings', () => {
  it('parses AE@host:port, IPv6 included', () => {
    expect(parseRemoteAe('CT1@10.0.0.5:104')).toEqual({
      aeTitle: 'CT1',
      host: '10.0.0.5',
      port: 104,
    });
    expect(parseRemoteAe('WS 2@[::1]:11112')).toEqual({
      aeTitle: 'WS 2',
      host: '::1',
      port: 11112,
    });
    expect(parseRemoteAe('CT1@host')).toMatch(/not AE@host:port/);
    expect(parseRemoteAe('THIS-TITLE-IS-TOO-LONG@h:1')).toMatch(/not an AE title/);
    expect(parseRemoteAe('A@h:70000')).toMatch(/not AE@host:port/);
  });

  it('is off by default and names the variable of a bad value', () => {
    const config = loadConfig({});
    expect(config.dimse.port).toBeUndefined();
    expect(config.dimse.aeTitle).toBe('STRATA');
    expect(config.dimse.acceptUnknownAes).toBe(false);
    expect(() => loadConfig({ DIMSE_REMOTE_AES: 'A@h:1,A@g:2' })).toThrow(ConfigError);
    expect(() => loadConfig({ DIMSE_REMOTE_AES: 'nonsense' })).toThrow(/DIMSE_REMOTE_AES/);
    expect(() => loadConfig({ DIMSE_AE_TITLE: 'A\\B' })).toThrow(/DIMSE_AE_TITLE/);
  });
});
