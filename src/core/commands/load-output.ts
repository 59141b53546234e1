/**
 * What `docker load` prints for the images it loaded, one source for the command bar and the
 * GUI's import: moby's image/tarexport load.go order, per image: for each of its tags the
 * rename notice when the tag moved from another image, then `Loaded image: name:tag`; an image
 * without tags prints `Loaded image ID: sha256:…`.
 */
import type { LoadedImage } from './context.ts';
import { noSuchImageName } from './store-view.ts';

export function loadOutputLines(images: readonly LoadedImage[]): string[] {
  const lines: string[] = [];
  for (const img of images) {
    for (const name of img.repoTags) {
      const familiar = noSuchImageName(name);
      const moved = img.replaced?.find((r) => r.name === name);
      if (moved) {
        lines.push(
          `The image ${familiar} already exists, renaming the old one with ID ${moved.previousImageId} to empty string`,
        );
      }
      lines.push(`Loaded image: ${familiar}`);
    }
    if (img.repoTags.length === 0) lines.push(`Loaded image ID: ${img.imageId}`);
  }
  return lines;
}
