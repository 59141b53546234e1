// ESLint: typescript-eslint's recommended rules plus the two that catch promises nobody awaits
// or handles (a forgotten rejection in a worker call is an error the person never sees), over
// TypeScript and Svelte files alike. Formatting is Prettier's job, not the linter's.
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

export default ts.config(
  { ignores: ['dist/', 'dev-dist/', 'node_modules/', '.tmp/', 'bench/.work/', 'src/core/sha256-blocks.ts'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.browser, ...globals.node },
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.svelte'],
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // A destructuring whose other names are reassigned stays `let` as a whole.
      'prefer-const': ['error', { destructuring: 'all' }],
      // Tar headers, registry names and file names are checked for control characters on purpose.
      'no-control-regex': 'off',
      // tsconfig's noFallthroughCasesInSwitch checks this, and knows empty cases grouped under a comment.
      'no-fallthrough': 'off',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser, svelteConfig } },
    // `let { … } = $props()` is how Svelte 5 declares props: svelte/prefer-const knows the runes.
    // Sets and Maps in state are replaced whole ($state.raw, immutable updates), never mutated,
    // so the reactive SvelteSet/SvelteMap are not needed.
    rules: { 'prefer-const': 'off', 'svelte/prefer-const': 'error', 'svelte/prefer-svelte-reactivity': 'off' },
  },
  {
    // Plain JavaScript (scripts, configs) is not in a TypeScript project: no typed rules there.
    files: ['**/*.js', '**/*.mjs'],
    ...ts.configs.disableTypeChecked,
  },
);
