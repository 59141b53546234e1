/**
 * The one message catalog for the UI, English and Japanese. Docker's own output (the command
 * bar) stays English, as Docker prints it. Keys are grouped by view; `{name}` placeholders.
 */
import { ja } from './messages-ja.ts';

export const en = {
  'app.title': 'Layerscope',
  'app.tagline': 'Container images, in your browser',
  'nav.images': 'Images',
  'nav.settings': 'Settings',
  'nav.language': 'Language',
  'images.pull': 'Pull image',
  'images.empty.title': 'No images yet',
  'images.empty.body': 'Pull one with the Pull image button, or type docker pull alpine in the command bar below.',
  'images.filter': 'Filter images',
  'images.showDangling': 'Show dangling images',
  'images.col.repository': 'Repository',
  'images.col.tag': 'Tag',
  'images.col.id': 'Image ID',
  'images.col.created': 'Created',
  'images.col.size': 'Size',
  'images.copyId': 'Copy the full image ID of {id}',
  'images.copied': 'Copied {text}',
  'images.copyFailed': 'The browser did not allow copying to the clipboard.',
  'storage.usage': 'Stored in this browser: {stored} · {logical} if no layer were shared · {saved} saved by sharing',
  'storage.quota': 'Browser storage: {usage} used of {quota}',
  'pull.title': 'Pull an image',
  'pull.reference': 'Image reference',
  'pull.reference.hint': 'e.g. alpine, nginx:1.27, ghcr.io/owner/app:tag, localhost:5000/app',
  'pull.platform': 'Platform',
  'pull.start': 'Pull',
  'pull.cancel': 'Cancel',
  'pull.close': 'Close',
  'pull.done': 'Pulled {ref}',
  'pull.cancelled': 'Pull cancelled. Layers already verified are kept; the next pull resumes.',
  'pull.layer': 'Layer',
  'pull.tray': 'Pulls',
  'pull.running': 'Pulling {ref}',
  'pull.bytes': '{done} of {total}',
  'pull.speed': '{rate}/s',
  'pull.eta': 'about {time} left',
  'pull.show': 'Show',
  'pull.dismiss': 'Dismiss',
  'pull.failedShort': 'Pulling {ref} failed',
  'pull.cancelledShort': 'Pulling {ref} was cancelled',
  'error.notFound': 'Not found: the registry has no such image or tag. Check the name and tag.',
  'error.unauthorized':
    'The registry refused access. The image may be private: add credentials for this registry in Settings.',
  'error.rateLimit':
    'The registry’s rate limit was reached ({detail}). Wait, or sign in (Settings) for a higher limit.',
  'error.proxyUnreachable':
    'The CORS proxy at {proxy} did not answer. Is it running? (npm start serves one.) Check Settings.',
  'error.hostNotAllowed':
    'The proxy does not allow this registry host. Add it to PROXY_ALLOW_HOSTS where the proxy runs.',
  'error.generic': 'Error: {message}',
  'error.offline':
    'You are offline. Pulling needs the network; stored images stay available. Try again when you are back online.',
  'error.quota':
    'The browser’s storage for this site is full. Remove images (Remove…, Prune…) or allow the site more storage, then pull again: the layers already stored are kept.',
  'settings.title': 'Settings',
  'settings.proxy': 'CORS proxy URL',
  'settings.proxy.hint':
    'Browsers cannot read registry responses directly (CORS); the proxy relays them. Default: the one this app is served with.',
  'settings.platform': 'Default platform',
  'settings.credentials': 'Registry credentials',
  'settings.credentials.hint':
    'Kept in this browser only, and sent only to the registry they belong to (through the proxy).',
  'settings.registry': 'Registry',
  'settings.username': 'Username',
  'settings.password': 'Password or token',
  'settings.add': 'Add',
  'settings.remove': 'Remove',
  'settings.saved': 'Saved',
  'settings.reset': 'Reset to default',
  'settings.check': 'Check stored data',
  'settings.check.hint': 'Verifies that every tag points to an image and every image has all its blobs, complete.',
  'settings.check.ok': 'All good: {images}, {blobs} ({partial}).',
  'settings.check.problems.one': '{n} problem found:',
  'settings.check.problems.other': '{n} problems found:',
  'count.images.one': '{n} image',
  'count.images.other': '{n} images',
  'count.blobs.one': '{n} blob',
  'count.blobs.other': '{n} blobs',
  'count.partial.one': '{n} partial download kept for resuming',
  'count.partial.other': '{n} partial downloads kept for resuming',
  'image.back': 'All images',
  'route.missing.title': 'Not stored in this browser',
  'route.missing.body': 'The link names {ref}, which this browser does not store. Pull it to open it here.',
  'route.missing.pull': 'Pull {ref}',
  'image.tab.summary': 'Summary',
  'image.tab.layers': 'Layers',
  'image.tab.files': 'Files',
  'image.tab.history': 'History',
  'image.tab.inspect': 'Inspect',
  'image.tab.treemap': 'Size map',
  'image.open': 'Open {name}',
  'image.tags': 'Tags',
  'image.digests': 'Repository digests',
  'image.platform': 'Platform',
  'image.created': 'Created',
  'image.id': 'Image ID',
  'image.manifest': 'Manifest digest',
  'image.index': 'Index digest',
  'image.size': 'Size (as docker images shows it)',
  'image.download': 'Download size (compressed layers)',
  'image.shared': 'Shared with other stored images',
  'image.unique': 'Unique to this image',
  'image.wasted': 'Wasted (dive)',
  'image.efficiency': 'Efficiency (dive)',
  'image.reclaimable': 'Reclaimable',
  'image.files': 'Files and directories',
  'image.schema1': 'This image uses the deprecated Docker schema 1 manifest format.',
  'image.wastedTop': 'Largest wasted paths',
  'explain.layer': 'A layer is a read-only tar of file changes; an image is its layers stacked, bottom first.',
  'explain.whiteout':
    'A whiteout (.wh.name) in a layer deletes that name from the layers below; the bytes below still ship.',
  'explain.shared':
    'Shared: layers that other stored images use too. They are stored once and count for every image that uses them.',
  'explain.wasted':
    'Wasted and efficiency are dive’s: wasted sums every copy of each path that more than one layer writes or deletes (the copy you see included); efficiency is the smallest copies over all copies.',
  'explain.reclaimable':
    'Reclaimable: bytes of files that a later layer overwrites or deletes, so nothing shows them. They still download and take space; squashing the image would drop them.',
  'explain.digest':
    'The image ID is the digest of its config; the repository digest is the digest of the manifest a registry serves.',
  'explain.latest':
    '“latest” is only a tag name: it is whatever was pushed with that name last, not necessarily the newest version.',
  'explain.size':
    'Size counts the files of every layer as Docker’s classic storage does; the download size counts compressed layer bytes.',
  'layers.col.index': '#',
  'layers.col.createdBy': 'Created by',
  'layers.col.digest': 'Digest',
  'layers.col.diffId': 'DiffID (uncompressed)',
  'layers.col.compressed': 'Compressed',
  'layers.col.uncompressed': 'Uncompressed',
  'layers.col.size': 'Size',
  'layers.col.changes': 'Changes',
  'layers.empty': 'no layer (metadata only)',
  'layers.digest': 'Digest (compressed)',
  'layers.mediaType': 'Media type',
  'layers.legend': 'Changes: + files added, ~ files modified, − files removed by the layer. Select one to see them.',
  'layers.changes': '{added} added, {modified} modified, {removed} removed',
  'files.layer': 'Layer',
  'files.allLayers': 'Whole image',
  'files.mode.upto': 'Filesystem up to this layer',
  'files.mode.own': 'Only this layer’s changes',
  'files.sort': 'Sort',
  'files.sort.name': 'Name',
  'files.sort.size': 'Size',
  'files.search': 'Search paths (substring or glob: *.conf, usr/**/lib*)',
  'files.matches.one': '{n} match',
  'files.matches.other': '{n} matches',
  'files.count.one': '{n} row',
  'files.count.other': '{n} rows',
  'files.legend': 'In the tree and under Changes: + added, ~ modified, − removed by the layer shown.',
  'files.tree': 'Files',
  'files.downloadFs': 'Download filesystem',
  'files.downloadFile': 'Download file',
  'files.added': 'added',
  'files.modified': 'modified',
  'files.removed': 'removed',
  'viewer.title': 'File',
  'viewer.symlink': 'Symbolic link to {target}',
  'viewer.hardlink': 'Hard link to /{target}',
  'viewer.truncated': 'Showing the first {shown} of {size}.',
  'viewer.empty': 'Empty file.',
  'viewer.notFile': 'Not a regular file.',
  'viewer.encoding': 'Text ({encoding})',
  'viewer.binary': 'Binary (hex)',
  'viewer.hint': 'Select a file in the tree to see it here (arrow keys and Enter work too).',
  'history.dockerfile': 'Reconstructed Dockerfile',
  'history.dockerfile.hint': 'Read back from the history; base image steps are included.',
  'inspect.copy': 'Copy JSON',
  'inspect.copied': 'Copied',
  'sharing.title': 'Layer sharing',
  'sharing.hint': 'Images built on the same base share its layers: stored once, used by each.',
  'sharing.saved':
    'Sharing saves {saved}: this browser keeps {stored} instead of {logical}. Unpacked, {content} of layer content is stored once for several images.',
  'sharing.col.layer': 'Layer (DiffID)',
  'sharing.col.images': 'Used by',
  'sharing.none': 'No layer is shared yet: pull two images built on the same base to see it.',
  'manage.actions': 'Actions',
  'manage.tag': 'Tag…',
  'manage.remove': 'Remove…',
  'manage.prune': 'Prune…',
  'manage.tag.title': 'Tag {name}',
  'manage.tag.target': 'New name',
  'manage.tag.hint': 'A tag is another name for the same image ID: nothing is copied.',
  'manage.tag.confirm': 'Tag',
  'manage.remove.title': 'Remove {name}',
  'manage.remove.byRef': 'Remove the name {name} (the image goes when no other name points to it)',
  'manage.remove.byId': 'Remove the image {id} and all its names',
  'manage.remove.conflict':
    'This image is referenced in several repositories. Removing it by ID removes all those names: Docker asks for force (-f) here.',
  'manage.remove.force': 'Force (-f): remove every name and the image',
  'manage.remove.confirm': 'Remove',
  'manage.prune.title': 'Prune images',
  'manage.prune.all': 'All images, not only dangling ones (-a)',
  'manage.prune.nothing': 'Nothing to prune.',
  'manage.prune.confirm': 'Prune',
  'manage.preview': 'What will happen',
  'manage.reclaim': 'Space returned: {size}',
  'share.export': 'Export',
  'share.webShare': 'Share…',
  'share.export.title': 'Export images to a file',
  'share.import': 'Import…',
  'share.importFolder': 'Import OCI folder…',
  'share.sample': 'Load sample image',
  'share.images': 'Images',
  'share.format': 'Format',
  'share.format.docker': 'docker save archive (Docker, Podman, skopeo docker-archive:)',
  'share.format.oci': 'OCI image layout archive (skopeo oci-archive:, podman --format oci-archive, umoci)',
  'share.asPulled': 'Keep the registry’s compressed layers (manifest digests stay identical)',
  'share.gzip': 'Compress the file with gzip (.tar.gz)',
  'share.progress': 'Export progress',
  'share.importing': 'Importing…',
  'share.result': 'What was imported',
  'share.saved': 'Saved {name}',
  'share.downloaded': '{name} handed to the browser’s downloads',
  'share.shared': 'Shared {name}',
  'share.cancelled': 'Export cancelled: nothing was saved.',
  'share.drop': 'Drop a .tar or .tar.gz image archive to import it',
  'command.label': 'Command',
  'command.placeholder': 'docker images · docker pull alpine · help',
  'command.run': 'Run',
  'command.clear': 'Clear',
  'command.output': 'Command output',
  'command.resize': 'Command output height',
  'command.show': 'Show the command output',
  'command.hide': 'Hide the command output',
  'update.available': 'A new version of Layerscope is ready.',
  'update.reload': 'Reload',
  'update.later': 'Later',
  'offline.ready': 'Ready to work offline.',
  'offline.now': 'Offline: stored images stay available; pulling needs the network.',
} as const;

export type MessageKey = keyof typeof en;
export type Catalog = Record<MessageKey, string>;

export const catalogs = { en, ja } as const;
export { ja };
export type Locale = keyof typeof catalogs;

/** Keys with plural forms: `base.one`, `base.other` (English), `base.other` is always there. */
export type PluralBase = { [K in MessageKey]: K extends `${infer B}.other` ? B : never }[MessageKey];

/** The key for `n` in `locale` by the CLDR rules Intl.PluralRules knows (Japanese: one form). */
export function pluralKey(locale: Locale, base: PluralBase, n: number): MessageKey {
  const k = `${base}.${new Intl.PluralRules(locale).select(n)}`;
  return (k in en ? k : `${base}.other`) as MessageKey;
}

/** Fill `{name}` placeholders; unknown placeholders stay visible so they get noticed. */
export function format(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
}

/** The browser's preferred languages → a supported locale (first match wins, English default). */
export function pickLocale(preferred: readonly string[]): Locale {
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'ja') return 'ja';
    if (base === 'en') return 'en';
  }
  return 'en';
}
