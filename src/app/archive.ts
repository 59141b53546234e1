/**
 * `docker save` / `docker load` and OCI image layouts over the store: save.ts writes archives,
 * load.ts reads them (with session.ts for the streaming pass and candidates.ts for the images
 * an archive lists). The pure parts (formats, manifests, limits, platforms) are in src/core.
 */
export { saveArchive, type SaveArchiveRequest } from './archive/save.ts';
export { loadArchive, loadOciLayoutFiles } from './archive/load.ts';
