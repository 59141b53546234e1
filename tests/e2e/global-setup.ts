import type { TestProject } from 'vitest/node';
import { launchServer } from './browser.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    wsEndpoint: string;
  }
}

export default async function setup(project: TestProject) {
  const server = await launchServer();
  project.provide('wsEndpoint', server.wsEndpoint());
  return async () => {
    await server.close();
  };
}
