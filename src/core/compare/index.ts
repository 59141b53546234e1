/** Comparing two images (or an image and its base, or two layers of one image). */
export * from './files.ts';
export * from './config.ts';
export * from './output.ts';

export { hashBodiesAt } from './content.ts';
export { textDiff, MAX_TEXT_DIFF_BYTES, type TextDiff } from './text-diff.ts';
