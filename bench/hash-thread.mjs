// Entry of a worker thread: loads hash-thread.ts through tsx (Node 20 worker threads do not
// take --import tsx from execArgv).
import { tsImport } from 'tsx/esm/api';

await tsImport('./hash-thread.ts', import.meta.url);
