/** The command bar's public surface: run a line against a DockerContext. */
export { runCommand, pullErrorText, pullEventLine, defaultArchiveName } from './run.ts';
export type { CommandOutput, DockerContext, LoadedImage, LoadRequest, PullFailure, SaveRequest } from './context.ts';
export { planRmi, planPrune, pruneReport, reclaimedBytes, sharedSizes, isSingleReference } from './remove.ts';
export type { RmiResult, PrunePlan, SharedSizes } from './remove.ts';
export { buildViews, resolveImage, platformString } from './store-view.ts';
export type { ImageView, RefView, Resolved } from './store-view.ts';
