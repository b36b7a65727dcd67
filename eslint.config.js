import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const SPAWN =
  'only src/git (git) and src/agents/process.ts, spawn-agent.ts (agents, verify commands, tmux) start processes';
// The two files of src/agents that start processes; the rest of src/agents may not.
const AGENT_SPAWNERS = ['src/agents/process.ts', 'src/agents/spawn-agent.ts'];
const SPAWN_PATHS = ['node:child_process', 'child_process', 'execa'].map((name) => ({
  name,
  message: SPAWN,
}));
const RUN_GIT = {
  group: ['**/run-git', '**/run-git.js'],
  message: 'only src/git runs git: add a function there instead',
};
const PURE_LAYERS = {
  group: ['**/commands/**', '**/git/**', '**/store/**'],
  message: 'src/domain and src/render are pure: they take data, never read it from git or files',
};
const layerFolders = (...names) => names.map((name) => `src/${name}/**/*.ts`);

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'templates/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': 'off',
      // Control characters are matched on purpose: git's -z output, and refusing them in names.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'domain code takes cwd, env and now as parameters' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'domain code takes now as a parameter',
        },
        {
          selector: "MemberExpression[object.name='console']",
          message: 'domain code does not print',
        },
      ],
    },
  },
  {
    // Type-aware: a promise nobody awaits loses its error and its order.
    files: ['src/**/*.ts', 'test/**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  // The layers (README, Layout): which folder may import which, and where processes start.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/git/**', ...AGENT_SPAWNERS, ...layerFolders('domain', 'render')],
    rules: { 'no-restricted-imports': ['error', { paths: SPAWN_PATHS, patterns: [RUN_GIT] }] },
  },
  {
    files: AGENT_SPAWNERS,
    rules: { 'no-restricted-imports': ['error', { patterns: [RUN_GIT] }] },
  },
  {
    files: layerFolders('domain', 'render'),
    rules: {
      'no-restricted-imports': ['error', { paths: SPAWN_PATHS, patterns: [RUN_GIT, PURE_LAYERS] }],
    },
  },
);
