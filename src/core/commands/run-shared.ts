/** Helpers the command implementations share. */
import type { DockerContext } from './context.ts';
import { buildViews, type ImageView } from './store-view.ts';

export const DAEMON = 'Error response from daemon: ';

export async function loadViews(ctx: DockerContext): Promise<ImageView[]> {
  const [images, tags] = await Promise.all([ctx.listImages(), ctx.listTags()]);
  return buildViews(images, tags);
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** True when the typed reference named neither tag nor digest (Docker then says so). */
export function isNameOnly(arg: string): boolean {
  if (arg.includes('@')) return false;
  return !arg.slice(arg.lastIndexOf('/') + 1).includes(':');
}
