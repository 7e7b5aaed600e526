// ESLint flat config: typescript-eslint's recommended type-aware rules on the TypeScript sources
// and tests, plus the house conventions (interfaces start with I, no floating promises).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['lib/', 'node_modules/', 'symtorch_lab/', '.venv/', 'js/src/protocol.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['js/**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname }
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/naming-convention': [
        'error',
        { selector: 'interface', format: ['PascalCase'], prefix: ['I'] }
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'smart'],
      curly: ['error', 'multi-line']
    }
  },
  {
    // node:test's describe/it return promises that the runner itself awaits
    files: ['js/test/**/*.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'off' }
  },
  {
    files: ['js/scripts/*.mjs'],
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', performance: 'readonly' }
    }
  }
);
