/**
 * Errors across comlink: a thrown error crosses as the plain data of the one error model
 * (`toErrorData`, src/core/errors.ts) and is revived on the other side (`reviveError`) as the
 * same class with the same code and fields. comlink's own handler would keep only name, message
 * and stack. Both sides (the engine worker and the page) install it before talking.
 */
import * as Comlink from 'comlink';
import { isErrorData, reviveError, toErrorData } from '../core/errors.ts';
// Each error class registers itself with reviveError when its module loads: load every one,
// so the page restores all of them even where it imports none of their modules itself.
import '../core/registry/errors.ts';
import '../core/tar/errors.ts';
import '../core/layer/errors.ts';
import '../core/archive/errors.ts';
import '../core/union/errors.ts';
import '../core/compression-error.ts';
import '../core/pull-error.ts';
import '../core/reference.ts';
import '../store/errors.ts';

interface Serialized {
  isError: true;
  /** Marks this handler's form; comlink's own form has `value` instead. */
  layerscope: unknown;
}

let installed = false;

/** Replace comlink's `throw` handler (idempotent). */
export function installErrorTransfer(): void {
  if (installed) return;
  installed = true;
  const base = Comlink.transferHandlers.get('throw');
  if (!base) throw new Error('comlink has no throw handler to replace');
  const handler: Comlink.TransferHandler<{ value: unknown }, unknown> = {
    canHandle: (v): v is { value: unknown } => base.canHandle(v),
    serialize(thrown) {
      if (thrown.value instanceof Error) {
        const s: Serialized = { isError: true, layerscope: toErrorData(thrown.value) };
        return [s, []];
      }
      return base.serialize(thrown);
    },
    deserialize(s): never {
      const layerscope = (s as Partial<Serialized> | null)?.layerscope;
      if (isErrorData(layerscope)) throw reviveError(layerscope);
      // comlink's own handler throws too: deserializing a thrown value rethrows it.
      base.deserialize(s);
      throw new Error('comlink: a thrown value did not rethrow');
    },
  };
  Comlink.transferHandlers.set('throw', handler as Comlink.TransferHandler<unknown, unknown>);
}
