import { expect } from 'vitest';
import { RegistryError } from '../../src/core/registry/index.ts';

/** The RegistryError `p` rejects with; fails the test if it resolves or throws anything else. */
export async function caught(p: Promise<unknown>): Promise<RegistryError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(RegistryError);
    return e as RegistryError;
  }
  throw new Error('expected a RegistryError');
}
