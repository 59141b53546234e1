/**
 * The one message catalog for the UI, English and Japanese. Docker's own output (the command
 * bar) stays English, as Docker prints it. Keys are grouped by view; `{name}` placeholders.
 */
export const en = {
  'app.title': 'Layerscope',
  'app.tagline': 'Container images, in your browser',
  'nav.images': 'Images',
  'nav.settings': 'Settings',
  'nav.language': 'Language',
  'images.pull': 'Pull image',
  'images.empty.title': 'No images yet',
  'images.empty.body':
    'Pull one with the Pull image button, or type docker pull alpine in the command bar below.',
  'images.filter': 'Filter images',
  'images.showDangling': 'Show dangling images',
  'images.col.repository': 'Repository',
  'images.col.tag': 'Tag',
  'images.col.id': 'Image ID',
  'images.col.created': 'Created',
  'images.col.size': 'Size',
  'images.count': '{n} images',
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
  'settings.check.ok': 'All good: {images} images, {blobs} blobs ({partial} partial downloads kept for resuming).',
  'settings.check.problems': '{n} problems found:',
  'command.label': 'Command',
  'command.placeholder': 'docker images · docker pull alpine · help',
  'command.run': 'Run',
  'command.clear': 'Clear',
  'update.available': 'A new version of Layerscope is ready.',
  'update.reload': 'Reload',
  'update.later': 'Later',
  'offline.ready': 'Ready to work offline.',
  'offline.now': 'Offline: stored images stay available; pulling needs the network.',
} as const;

export type MessageKey = keyof typeof en;
export type Catalog = Record<MessageKey, string>;

export const ja: Catalog = {
  'app.title': 'Layerscope',
  'app.tagline': 'ブラウザで見るコンテナイメージ',
  'nav.images': 'イメージ',
  'nav.settings': '設定',
  'nav.language': '言語',
  'images.pull': 'イメージを取得',
  'images.empty.title': 'イメージはまだありません',
  'images.empty.body':
    '「イメージを取得」ボタンか、下のコマンドバーに docker pull alpine と入力して取得してください。',
  'images.filter': 'イメージを絞り込む',
  'images.showDangling': 'タグのないイメージ（dangling）も表示',
  'images.col.repository': 'リポジトリ',
  'images.col.tag': 'タグ',
  'images.col.id': 'イメージ ID',
  'images.col.created': '作成',
  'images.col.size': 'サイズ',
  'images.count': '{n} 個のイメージ',
  'storage.usage': 'このブラウザの保存量: {stored} · レイヤーを共有しない場合 {logical} · 共有による節約 {saved}',
  'storage.quota': 'ブラウザの保存領域: {quota} 中 {usage} 使用',
  'pull.title': 'イメージを取得',
  'pull.reference': 'イメージ参照',
  'pull.reference.hint': '例: alpine、nginx:1.27、ghcr.io/owner/app:tag、localhost:5000/app',
  'pull.platform': 'プラットフォーム',
  'pull.start': '取得',
  'pull.cancel': '中止',
  'pull.close': '閉じる',
  'pull.done': '{ref} を取得しました',
  'pull.cancelled': '取得を中止しました。検証済みのレイヤーは残り、次回の取得で再開します。',
  'pull.layer': 'レイヤー',
  'error.notFound':
    '見つかりません: レジストリにそのイメージまたはタグがありません。名前とタグを確認してください。',
  'error.unauthorized':
    'レジストリにアクセスを拒否されました。非公開イメージの場合は、設定でこのレジストリの認証情報を追加してください。',
  'error.rateLimit':
    'レジストリのレート制限に達しました（{detail}）。時間をおくか、設定でサインインしてください。',
  'error.proxyUnreachable':
    '{proxy} の CORS プロキシが応答しません。起動していますか？（npm start で起動します）設定を確認してください。',
  'error.hostNotAllowed':
    'プロキシがこのレジストリホストを許可していません。プロキシ側の PROXY_ALLOW_HOSTS に追加してください。',
  'error.generic': 'エラー: {message}',
  'settings.title': '設定',
  'settings.proxy': 'CORS プロキシの URL',
  'settings.proxy.hint':
    'ブラウザはレジストリの応答を直接読めない（CORS）ため、プロキシが中継します。既定値はこのアプリを配信しているプロキシです。',
  'settings.platform': '既定のプラットフォーム',
  'settings.credentials': 'レジストリの認証情報',
  'settings.credentials.hint':
    'このブラウザ内にのみ保存され、対応するレジストリにだけ（プロキシ経由で）送信されます。',
  'settings.registry': 'レジストリ',
  'settings.username': 'ユーザー名',
  'settings.password': 'パスワードまたはトークン',
  'settings.add': '追加',
  'settings.remove': '削除',
  'settings.saved': '保存しました',
  'settings.reset': '既定値に戻す',
  'settings.check': '保存データを検査',
  'settings.check.hint': 'すべてのタグがイメージを指し、すべてのイメージのブロブが完全にそろっているかを確かめます。',
  'settings.check.ok': '問題ありません: イメージ {images} 個、ブロブ {blobs} 個（再開用の途中ダウンロード {partial} 個）。',
  'settings.check.problems': '{n} 件の問題が見つかりました:',
  'command.label': 'コマンド',
  'command.placeholder': 'docker images · docker pull alpine · help',
  'command.run': '実行',
  'command.clear': 'クリア',
  'update.available': 'Layerscope の新しいバージョンがあります。',
  'update.reload': '再読み込み',
  'update.later': '後で',
  'offline.ready': 'オフラインで使えるようになりました。',
  'offline.now': 'オフライン: 保存済みのイメージは使えます。取得にはネットワークが必要です。',
};

export const catalogs = { en, ja } as const;
export type Locale = keyof typeof catalogs;
export const locales: readonly Locale[] = ['en', 'ja'];

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
