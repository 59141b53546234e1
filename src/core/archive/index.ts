/** Image archives: `docker save` / `docker load` formats and OCI image layouts (pure parts). */
export * from './errors.ts';
export * from './format.ts';
export * from './manifest.ts';
