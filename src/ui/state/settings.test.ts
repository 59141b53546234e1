import { describe, expect, it } from 'vitest';
import { normalizePlatform, normalizeProxyUrl, parseSettings, registryKey } from './settings.ts';

describe('settings', () => {
  it('defaults the proxy to the serving origin', () => {
    expect(parseSettings(null, 'http://127.0.0.1:8080').proxyUrl).toBe('http://127.0.0.1:8080/proxy/');
  });
  it('normalizes and validates proxy URLs', () => {
    expect(normalizeProxyUrl(' https://p.example/relay ')).toBe('https://p.example/relay/');
    expect(normalizeProxyUrl('http://localhost:8787//')).toBe('http://localhost:8787/');
    expect(() => normalizeProxyUrl('ftp://x')).toThrow(/http/);
    expect(() => normalizeProxyUrl('not a url')).toThrow(/not a URL/);
    expect(() => normalizeProxyUrl('https://p.example/?a=1')).toThrow(/query/);
  });
  it('validates platforms', () => {
    expect(normalizePlatform('Linux/ARM64/v8')).toBe('linux/arm64/v8');
    expect(() => normalizePlatform('amd64')).toThrow(/os\/arch/);
  });
  it('files Docker Hub credentials under docker.io', () => {
    expect(registryKey('index.docker.io')).toBe('docker.io');
    expect(registryKey('https://registry-1.docker.io/')).toBe('docker.io');
    expect(registryKey('localhost:5000')).toBe('localhost:5000');
    expect(() => registryKey('a b')).toThrow(/registry host/);
  });
  it('drops malformed stored values instead of failing', () => {
    const s = parseSettings(
      JSON.stringify({
        proxyUrl: 'javascript:alert(1)',
        defaultPlatform: 7,
        credentials: { 'ghcr.io': { username: 'u', password: 'p' }, bad: 3 },
      }),
      'http://h',
    );
    expect(s.proxyUrl).toBe('http://h/proxy/');
    expect(s.defaultPlatform).toBe('linux/amd64');
    expect(s.credentials).toEqual({ 'ghcr.io': { username: 'u', password: 'p' } });
    expect(parseSettings('{not json', 'http://h').proxyUrl).toBe('http://h/proxy/');
  });
});
