// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/**
 * The dependency rule (house style §3), enforced per folder. Each entry: the folder, then
 * what it must not import and why.
 */
const layer = (files, patterns, message, paths = []) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: patterns.map((group) => ({ group: [group], message })),
        paths: paths.map((name) => ({ name, message })),
      },
    ],
  },
});

const ours = [
  'lib',
  'dicom',
  'imaging',
  'storage',
  'index',
  'services',
  'web',
  'cli',
  'config',
  'auth',
  'audit',
  'metrics',
  'tracing',
  'events',
  'dimse',
];
const except = (...allowed) =>
  ours.filter((m) => !allowed.includes(m)).flatMap((m) => [`**/${m}/**`, `../${m}/*`]);

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'data/**',
      'migrations/**',
      'coverage/**',
      'bin/**',
      'dist/**',
      'dist-test-*/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  {
    // The web console's own modules run in the browser, loaded as written (no build step).
    files: ['src/console/ui/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Tests inspect DICOM JSON and problem bodies as untyped JSON, on purpose.
    files: ['test/**', 'conformance/**', 'bench/**', '**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  layer(['src/dicom/**'], except(), 'dicom/ imports nothing of ours (house style §3).', [
    'hono',
    'drizzle-orm',
    'sharp',
    'postgres',
    '@electric-sql/pglite',
  ]),
  layer(['src/lib/**'], except(), 'lib/ imports nothing of ours.'),
  layer(['src/imaging/**'], except('dicom', 'lib'), 'imaging/ may import dicom/ and lib/ only.'),
  layer(
    ['src/storage/**'],
    except('lib'),
    'storage/ knows bytes and keys, not DICOM, the index or HTTP.',
    ['hono', 'drizzle-orm', 'dcmjs'],
  ),
  layer(
    ['src/index/**'],
    except('dicom', 'lib'),
    'index/ knows the database, never storage/ or HTTP.',
    ['hono', '@aws-sdk/client-s3', '@azure/storage-blob'],
  ),
  layer(
    ['src/auth/**'],
    except('index', 'lib'),
    'auth/ proves who is asking (tokens, keys, accounts) over its index tables; never HTTP or services/.',
    ['hono'],
  ),
  layer(
    ['src/audit/**'],
    except('index', 'lib'),
    'audit/ records and exports events over its index tables; never HTTP or services/.',
    ['hono'],
  ),
  layer(
    ['src/services/**'],
    except('dicom', 'imaging', 'storage', 'index', 'lib', 'audit'),
    'services/ never import web/ or cli/.',
    ['hono'],
  ),
  layer(
    ['src/web/**'],
    except('services', 'dicom', 'lib', 'auth', 'audit'),
    'web/ is thin: it talks to services/, never to storage/ or index/.',
    ['drizzle-orm', 'postgres', '@electric-sql/pglite'],
  ),
  layer(
    ['src/metrics/**'],
    except('storage', 'index', 'services', 'dimse', 'lib'),
    'metrics/ implements the observer interfaces of storage/, index/, services/ and dimse/ over prom-client; nothing else.',
    ['hono', 'drizzle-orm', '@opentelemetry/api'],
  ),
  layer(
    ['src/tracing/**'],
    except(),
    'tracing/ wraps OpenTelemetry and imports nothing of ours (compose.ts hands its observers to the layers).',
    ['hono', 'drizzle-orm', 'prom-client'],
  ),
  layer(
    ['src/events/**'],
    except('services', 'index', 'lib'),
    'events/ delivers the change feed (webhooks) from services/ and index/; never HTTP routes.',
    ['hono'],
  ),
  layer(
    ['src/dimse/**'],
    except('services', 'dicom', 'index', 'audit', 'lib'),
    'dimse/ is a protocol front end like web/: it talks to services/ (and reads dicom/ and index/ types), never to storage/, web/ or cli/.',
    ['hono'],
  ),
  layer(
    ['src/config/**'],
    except('storage', 'services', 'lib'),
    'config/ reads settings into plain data; it takes option types and defaults from storage/ and services/, nothing else.',
  ),
  {
    // Test hooks do not ship: production code never imports test support (src/**/testing,
    // *.contract.ts) nor reads the crash tests' variable, which only test/helpers/crash-entry.ts
    // turns into a fault hook. (no-restricted-syntax: the layer blocks own no-restricted-imports.)
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts', 'src/**/testing/**', 'src/**/*.contract.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...[
          'ImportDeclaration',
          'ImportExpression',
          'ExportAllDeclaration',
          'ExportNamedDeclaration',
        ]
          .flatMap((node) => [
            `${node}[source.value=/(^|\\/)testing\\//]`,
            `${node}[source.value=/\\.contract\\.js$/]`,
          ])
          .map((selector) => ({
            selector,
            message: 'test support (testing/, *.contract.ts) stays out of the production path.',
          })),
        {
          selector: "Literal[value='STRATA_TEST_CRASH_AT']",
          message: 'the crash hook is installed by test/helpers/crash-entry.ts, never by src/.',
        },
      ],
    },
  },
);
